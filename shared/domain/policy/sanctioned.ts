import type { Policy } from './schema.js';

/**
 * The default deny list of sanctioned jurisdictions (ISO 3166-1 alpha-2), shipped as the first
 * rule of `defaultPolicy()`. It is a starting point, NOT legal advice and NOT a sanctions
 * screening: every operator must review it against the regimes that bind them, and edit or
 * remove the rule. `context.country` is what the app reports (typically from IP geolocation),
 * so this rule stops honest traffic from those places, not a determined evader.
 *
 * Source: the country programmes as published by the US Treasury OFAC ("Sanctions Programs and
 * Country Information"), the EU Sanctions Map (sanctionsmap.eu, restrictive measures under
 * Art. 29 TEU / Art. 215 TFEU) and the UK sanctions regimes (FCDO / OFSI). Compiled
 * 2026-11-30 from the author's reading of those programmes (secondary summaries; not checked
 * against the live registers on that day). Review it whenever a programme changes.
 */
export const SANCTIONS_LIST_DATE = '2026-11-30';

/**
 * Country-wide (comprehensive) embargoes: nearly every transaction with the jurisdiction is
 * prohibited without a licence.
 * - CU Cuba: US embargo (Cuban Assets Control Regulations). The EU and UK have no embargo.
 * - IR Iran: US comprehensive programme (ITSR); broad EU and UK financial restrictions.
 * - KP North Korea: UN Security Council, EU, UK and US measures.
 * Not listed, on purpose:
 * - SY Syria: the US programme was revoked in July 2025 and most EU and UK economic measures
 *   lifted in 2025; designations of persons remain (a matter for screening, not geography).
 * - The occupied regions of Ukraine (Crimea, Sevastopol, Donetsk, Luhansk, Zaporizhzhia,
 *   Kherson) are under comprehensive US, EU and UK measures but have no ISO 3166-1 code of
 *   their own: a country rule cannot name them, and denying UA would deny Ukraine.
 */
export const COMPREHENSIVELY_SANCTIONED: readonly string[] = ['CU', 'IR', 'KP'];

/**
 * Extensive sectoral measures, including on banking and payments, by the EU, UK and US since
 * 2022 (RU) and 2020–2022 (BY). Not comprehensive embargoes: some payments remain lawful. They
 * are in the default list because EU and UK payment firms commonly refuse these jurisdictions
 * outright; an operator with lawful business there removes them.
 */
export const EXTENSIVELY_SANCTIONED: readonly string[] = ['BY', 'RU'];

/** The default deny list: both groups above, sorted. */
export const SANCTIONED_JURISDICTIONS: readonly string[] = [
  ...COMPREHENSIVELY_SANCTIONED,
  ...EXTENSIVELY_SANCTIONED,
].sort();

/** The id of the default deny rule, so tools and logs can name it. */
export const SANCTIONED_RULE_ID = 'sanctioned-jurisdictions';

/**
 * A starting policy for a new app: deny the sanctioned jurisdictions above, else ask for
 * `mfa` as the service always has. No exemption is on: each is the operator's choice.
 * A fresh copy each call, so a caller may edit it.
 *
 * @example
 * const policy = defaultPolicy();
 * policy.exemptions = { lowValue: { currency: 'EUR', maxAmount: '30.00', maxCumulative: '100.00', maxCount: 5 } };
 */
export const defaultPolicy = (): Policy => ({
  version: 1,
  rules: [
    {
      id: SANCTIONED_RULE_ID,
      if: { country: { in: [...SANCTIONED_JURISDICTIONS] } },
      // biome-ignore lint/suspicious/noThenProperty: API.md names it; a string, so no thenable
      then: 'deny',
    },
  ],
  default: { require: 'mfa' },
});

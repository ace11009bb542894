/**
 * ISO 4217 List One alphabetic codes and their minor units (digits after the decimal point),
 * as published by the maintenance agency on 2026-01-01 (Amendment 180: Bulgaria's BGN
 * replaced by EUR). Only money is listed: the entries whose minor unit is "N.A." are left out,
 * because no payment is made in them and no decimal rule can be checked: precious metals (XAU,
 * XAG, XPD, XPT), bond market units (XBA–XBD), XDR, XSU, XUA, and the testing and
 * no-currency codes XTS and XXX. Fund codes that have a minor unit (BOV, CHE, CHW, CLF, COU,
 * MXV, USN, UYI, UYW, XAD) stay: banks do instruct payments in them (CLF has 4 decimals).
 *
 * Withdrawn codes are refused, so an app sending one learns it at once rather than showing the
 * user a currency their bank no longer settles: HRK (Croatia, euro since 2023-01-01), BGN
 * (Bulgaria, euro since 2026-01-01), SLL (Sierra Leone, redenominated as SLE), ZWL
 * (Zimbabwe, replaced by ZWG in 2024), ANG (Curaçao and Sint Maarten, replaced by XCG in
 * 2025), CUC (Cuba, no longer listed), and older ones (VEF, MRO, STD, BYR, LTL, LVL, EEK).
 *
 * When the agency publishes an amendment, update this table and the date above.
 */
const MINOR_UNITS_BY_DIGITS: Readonly<Record<0 | 2 | 3 | 4, string>> = {
  0: 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF',
  2: [
    'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN BZD',
    'CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP',
    'GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK',
    'LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO',
    'NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS',
    'SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST',
    'XAD XCD XCG YER ZAR ZMW ZWG',
  ].join(' '),
  3: 'BHD IQD JOD KWD LYD OMR TND',
  4: 'CLF UYW',
};

// Built on first use (~0.2 ms at a cold start otherwise); most functions never read a currency.
let minorUnits: ReadonlyMap<string, number> | undefined;
const MINOR_UNITS = (): ReadonlyMap<string, number> =>
  (minorUnits ??= new Map(
    Object.entries(MINOR_UNITS_BY_DIGITS).flatMap(([digits, codes]) =>
      codes.split(' ').map((code) => [code, Number(digits)] as const),
    ),
  ));

/** Every listed code, sorted. */
export const CURRENCY_CODES: readonly string[] = /* @__PURE__ */ (() =>
  [...MINOR_UNITS().keys()].sort())();

/** Whether `code` is a listed ISO 4217 code, exactly as written (upper case). */
export const isCurrencyCode = (code: string): boolean => MINOR_UNITS().has(code);

/** The minor unit of a listed currency (JPY 0, EUR 2, BHD 3, CLF 4); undefined otherwise. */
export const minorUnit = (code: string): number | undefined => MINOR_UNITS().get(code);

/**
 * Whether a decimal amount string has no more digits after the point than the currency's
 * minor unit: `"100"` and `"100.5"` fit EUR, `"100.5"` does not fit JPY, `"1.234"` fits BHD.
 * Trailing zeros count (`"100.0"` does not fit JPY): the amount is shown to the user as sent.
 * False for a currency not listed.
 */
export const fitsMinorUnit = (amount: string, currency: string): boolean => {
  const digits = minorUnit(currency);
  if (digits === undefined) return false;
  const point = amount.indexOf('.');
  return point === -1 || amount.length - point - 1 <= digits;
};

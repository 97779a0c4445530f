/**
 * The index rule every embedding table of the contract shares: 0 is padding, 1 is out of
 * vocabulary, vocabulary entries start at 2. Its own module so that featureContract.ts and
 * features.ts both import it without importing each other.
 */
export const PAD_INDEX = 0;
export const OOV_INDEX = 1;
/** Index of the first vocabulary entry. */
export const FIRST_INDEX = 2;

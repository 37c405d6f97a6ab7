// jest's asymmetric matchers, typed as the values they stand for. @types/jest gives them
// `any`, which the type-aware lint rightly refuses inside an expected object.

export const anyString = (): string => expect.any(String) as string;
export const anyNumber = (): number => expect.any(Number) as number;
export const anyObject = (): object => expect.any(Object) as object;
export const stringMatching = (pattern: RegExp | string): string => expect.stringMatching(pattern) as string;
export const stringContaining = (part: string): string => expect.stringContaining(part) as string;

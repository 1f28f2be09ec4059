/**
 * The built-in implementations under test, by name, each behind the kernel contract
 * (src/kernel/types.ts), plus the float64 reference they are judged against.
 */
export {};

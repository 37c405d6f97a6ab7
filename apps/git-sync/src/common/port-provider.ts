import type { ClassProvider, ExistingProvider, FactoryProvider, ValueProvider } from '@nestjs/common';

/** A Nest provider for a port, minus its token, which the receiving module supplies. */
export type PortProvider<T> =
  | Omit<ClassProvider<T>, 'provide'>
  | Omit<ValueProvider<T>, 'provide'>
  | Omit<FactoryProvider<T>, 'provide'>
  | Omit<ExistingProvider<T>, 'provide'>;

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { azuriteStop?: () => Promise<void> }).azuriteStop?.();
}

// Stops what global-setup.mjs started (same process and globalThis as the setup).
export default async function globalTeardown() {
  const emulators = globalThis.__trailIndexEmulators;
  if (emulators !== undefined) await emulators.stop();
}

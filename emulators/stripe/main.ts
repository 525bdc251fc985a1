// Starts the emulator from the environment and prints where it listens; `index.ts` runs this as a process.
import { emulatorOptionsFromEnv } from "./config.js";
import { createStripeEmulator, type StripeEmulator } from "./emulator.js";

export async function startStripeEmulatorFromEnv(env: NodeJS.ProcessEnv = process.env, log = console.log): Promise<StripeEmulator> {
  const options = emulatorOptionsFromEnv(env);
  const emulator = createStripeEmulator(options);
  const url = await emulator.listen();
  log(`Stripe API emulator at ${url} (STRIPE_API_URL); webhooks to ${options.webhookUrl ?? "nowhere (STRIPE_WEBHOOK_URL unset)"}`);
  return emulator;
}

// `tsx emulators/stripe/index.ts`: the Stripe API emulator as its own process (settings in emulatorOptionsFromEnv).
import { emulatorOptionsFromEnv } from "./config.js";
import { createStripeEmulator } from "./emulator.js";

let emulator;
try {
  emulator = createStripeEmulator(emulatorOptionsFromEnv());
  const url = await emulator.listen();
  console.log(`Stripe API emulator listening at ${url} (STRIPE_API_URL); webhooks to ${process.env.STRIPE_WEBHOOK_URL ?? "(none)"}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const running = emulator;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}

// `npm run stripe-emulator`: the Stripe API emulator as its own process, stopped by SIGINT/SIGTERM.
import { startStripeEmulatorFromEnv } from "./main.js";

try {
  const emulator = await startStripeEmulatorFromEnv();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      emulator.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

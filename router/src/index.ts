import { loadConfigOrExit } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { onShutdown } from "../../lib/http.js";
import { createRouter } from "./server.js";

const config = loadConfigOrExit();
const router = await createRouter(config);
await router.listen();
onShutdown(createLogger("router", config.logLevel), () => router.stop());

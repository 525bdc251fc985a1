import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createInventoryServer } from "./server.js";

const server = await createInventoryServer(loadConfigOrExit());
await server.listen();
onShutdown(server.logger, () => server.stop());

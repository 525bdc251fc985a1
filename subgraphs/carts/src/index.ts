import { loadConfigOrExit } from "../../../lib/config.js";
import { onShutdown } from "../../../lib/http.js";
import { createCartsServer } from "./server.js";

const server = await createCartsServer(loadConfigOrExit());
await server.listen();
onShutdown(server.logger, () => server.stop());

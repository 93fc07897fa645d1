// Entry point of a fuzz worker thread: TypeScript through tsx, then the worker itself.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");

import type { Hono } from "hono";
import type { Service } from "./service.js";

export function mountMcp(_app: Hono, _service: Service): void {}

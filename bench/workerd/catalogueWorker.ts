/**
 * The catalogue bench's worker (bench/catalogue.ts): the real app (`createApp`) with the route
 * config the bench passes in the CATALOGUE_ROUTES var — one route per storage option of the
 * generated catalogue, plus the shipped DIN as the reference — instead of config/routes.json.
 */
import { env } from 'cloudflare:workers';
import { createApp } from '../../worker/app.js';

const routes = (env as { CATALOGUE_ROUTES?: string }).CATALOGUE_ROUTES;
if (!routes) throw new Error('CATALOGUE_ROUTES is not set (bench/catalogue.ts passes it)');

export default createApp({ routes: JSON.parse(routes) as unknown });

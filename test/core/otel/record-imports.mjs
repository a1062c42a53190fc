// Given to a child with `--import`: writes every module URL the process resolves to BOSCO_RECORD_IMPORTS.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: process.env.BOSCO_RECORD_IMPORTS });

#!/usr/bin/env node
// Launcher of `gregor` (see launch.js: the built CLI, or its TypeScript source in a clone).
import { launch } from './launch.js';

await launch('gregor');

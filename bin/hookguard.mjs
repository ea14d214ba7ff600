#!/usr/bin/env node
/* global process, URL */
// The `hookguard` command: runs the built CLI (dist/cli.js) with this
// process's streams and exits with its code (0 ok, 1 failed, 2 bad input).
import { readFileSync } from 'node:fs'
import { main, processIo } from '../dist/cli.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
process.exitCode = await main(process.argv.slice(2), processIo(version))

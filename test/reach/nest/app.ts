/**
 * The NestJS app of docs-drafts/recipes/nestjs.md, for nest.test.ts.
 *
 * The repository's tsconfig has no `experimentalDecorators`, so the classes
 * below apply Nest's decorators through `Reflect.decorate`: exactly what tsc
 * emits for `@Controller('webhooks')`, `@Post('stripe')`, `@Req()` and
 * `@Inject(RECEIVER)` with `experimentalDecorators` on. Injection names its
 * token, so nothing depends on `emitDecoratorMetadata`.
 */
import 'reflect-metadata'
import { Body, Controller, Get, HttpCode, Inject, Module, Post, Req, Res, type RawBodyRequest } from '@nestjs/common'
import type { Request, Response } from 'express'
import { HookguardError } from '../../../src/errors.js'
import type { Receiver } from '../../../src/receiver/index.js'

export const RECEIVER = Symbol('hookguard receiver')

const NO_RAW_BODY =
  'req.rawBody is missing: create the app with NestFactory.create(AppModule, { rawBody: true }), ' +
  'or mount hookguard/express with app.use(path, hookguard(receiver))'

type ParamDecorator = (target: object, key: string | symbol | undefined, index: number) => void

/** `@decorator` on a parameter, as tsc emits it (`__param`). */
function param(index: number, decorator: ParamDecorator): MethodDecorator {
  return (target, key) => decorator(target, key, index)
}

/** `@decorators` on a method, as tsc emits them (`__decorate([...], Class.prototype, 'method', null)`). */
function decorateMethod(target: { prototype: object }, method: string, decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, method)
  Reflect.decorate(decorators, target.prototype, method, descriptor)
}

/**
 * Controller for the Express platform with `rawBody: true`: Nest keeps the
 * exact bytes in `req.rawBody`, and the controller hands them to the receiver.
 *
 * ```ts
 * @Controller('webhooks')
 * export class WebhooksController {
 *   constructor(@Inject(RECEIVER) private readonly receiver: Receiver) {}
 *   @Post('stripe')
 *   async stripe(@Req() req: RawBodyRequest<Request>, @Res() res: Response) { … }
 * }
 * ```
 */
export class WebhooksController {
  constructor(private readonly receiver: Receiver) {}

  async stripe(req: RawBodyRequest<Request>, res: Response): Promise<void> {
    const request = {
      method: req.method,
      url: `${req.protocol}://${req.get('host')}${req.originalUrl}`,
      // headersDistinct keeps a repeated header visible (req.headers would join or drop it).
      headers: req.headersDistinct,
    }
    const result = req.rawBody
      ? await this.receiver.handle({ ...request, body: req.rawBody })
      : // No bytes kept (rawBody: true missing, or a content type Nest does not parse): refuse, never re-serialize.
        this.receiver.reject(new HookguardError('body.consumed', { reason: NO_RAW_BODY }), request)
    res.status(result.status).set(result.headers).send(result.body)
  }
}
Reflect.decorate([Controller('webhooks')], WebhooksController)
// Constructor parameters: tsc emits __decorate([__param(0, Inject(RECEIVER))], WebhooksController).
Reflect.decorate([param(0, Inject(RECEIVER)) as unknown as ClassDecorator], WebhooksController)
decorateMethod(WebhooksController, 'stripe', [Post('stripe'), param(0, Req()), param(1, Res())])

/**
 * Inline mode on the Express platform: `app.use(path, hookguard(receiver, { inline: true }))`
 * verifies and reserves, sets `req.webhook`, and this controller does the work; its 2xx
 * completes the key, anything else releases it.
 */
export class InlineWebhooksController {
  handled: string[] = []

  stripe(req: Request): { handled: string } {
    const event = req.webhook!
    this.handled.push(event.id)
    return { handled: event.id }
  }
}
Reflect.decorate([Controller('webhooks')], InlineWebhooksController)
decorateMethod(InlineWebhooksController, 'stripe', [Post('stripe'), HttpCode(200), param(0, Req())])

/** An ordinary JSON route next to the webhooks: Nest's body parser must keep working for it. */
export class EchoController {
  echo(body: unknown): unknown {
    return { parsed: body }
  }

  health(): string {
    return 'ok'
  }
}
Reflect.decorate([Controller('api')], EchoController)
decorateMethod(EchoController, 'echo', [Post('echo'), param(0, Body())])
decorateMethod(EchoController, 'health', [Get('health')])

/** The module: the receiver is a provider, so controllers and services share one. */
export function appModule(receiver: Receiver, controllers: Array<new (...args: any[]) => unknown>) {
  class AppModule {}
  Reflect.decorate(
    [Module({ controllers: [EchoController, ...controllers], providers: [{ provide: RECEIVER, useValue: receiver }] })],
    AppModule,
  )
  return AppModule
}

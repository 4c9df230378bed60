import 'reflect-metadata';
import { SmartAsync } from '../../src';

declare const DECORATOR_MODE: 'legacy-decorators' | 'standard-decorators';

test('this project really compiles decorators in the mode it is named after', () => {
  class Probe {
    @SmartAsync()
    async run(): Promise<number> {
      return 1;
    }
  }
  // emitDecoratorMetadata only exists with legacy decorators
  const legacy = Reflect.getMetadata('design:returntype', Probe.prototype, 'run') !== undefined;
  expect(legacy ? 'legacy-decorators' : 'standard-decorators').toBe(DECORATOR_MODE);
});

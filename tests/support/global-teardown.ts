import { stopSharedServices } from './services';

export default async function globalTeardown(): Promise<void> {
  await stopSharedServices();
}

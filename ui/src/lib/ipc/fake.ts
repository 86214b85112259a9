/**
 * An in-memory `Ipc` for component tests and for running the UI in a plain browser
 * (`npm run dev` outside Tauri). Never used inside the app: main.ts loads it only when there is
 * no Tauri runtime, and production builds drop that branch.
 *
 * The commands live by concern in `fake/` (account, contacts, threads, messages, templates,
 * media), each given the one shared `FakeWorld`; this module assembles them into the object
 * the test holds, which is also the world's state.
 */
import { fakeRules, fakeSmsRules, plain } from "./fake-rules";
import { demoTemplates } from "./fake-seed";
import type { Ipc, Unlisten } from "./ipc";
import { accountCommands, signedIn, signedOut } from "./fake/account";
import { consentCommands } from "./fake/consent";
import { searchCommands } from "./fake/search";
import { contactCommands } from "./fake/contacts";
import { mediaCommands } from "./fake/media";
import { messageCommands } from "./fake/messages";
import { templateCommands } from "./fake/templates";
import { threadCommands } from "./fake/threads";
import type { FakeIpc, FakeOptions } from "./fake/types";
import { FakeWorld } from "./fake/world";

export { demoTemplates, fakeRules, fakeSmsRules, plain };
export type { FakeIpc, FakeOptions };
export { FAKE_PASSWORD } from "./fake/account";
export { contactFields } from "./fake/contacts";
export { FAKE_RECORDING } from "./fake/media";

export function createFakeIpc(options: FakeOptions = {}): FakeIpc {
  const world = new FakeWorld(options);
  const commands: Ipc = {
    ...accountCommands(world),
    ...contactCommands(world),
    ...threadCommands(world),
    ...messageCommands(world),
    ...templateCommands(world),
    ...mediaCommands(world),
    ...consentCommands(world),
    ...searchCommands(world),
    async onUiEvent(handler): Promise<Unlisten> {
      return world.listen(handler);
    },
  };
  // The thread and its opt-in request come together (the connector's one transaction).
  const open = commands.openWhatsappThread;
  commands.openWhatsappThread = async (contactId, phone, askConsent) => {
    const before = world.fake.threads.length;
    const thread = await open(contactId, phone, askConsent);
    if (!askConsent || thread.opt_in.state !== "allowed") return thread;
    try {
      await commands.sendOptIn(thread.id);
    } catch (error) {
      // One transaction: a refused request leaves no thread.
      world.fake.threads.splice(before);
      throw error;
    }
    return structuredClone(world.find(thread.id));
  };
  world.fake.account = options.signedOut ? signedOut(world.fake, null) : signedIn(world.fake);
  return Object.assign(world.fake, commands);
}

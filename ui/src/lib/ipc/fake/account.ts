/**
 * The fake's account and session commands: sign in (with the demo accounts and
 * `FAKE_PASSWORD`), sign out, the session and the sync state.
 */
import type { AccountState } from "../bindings/AccountState";
import type { Ipc } from "../ipc";
import type { FakeState } from "./types";
import type { FakeWorld } from "./world";

/** The fake's accounts: every one signs in with this password. */
export const FAKE_PASSWORD = "multiline-demo";
const FAKE_CONNECTOR = "http://127.0.0.1:8080";

const demoAccounts = [
  { name: "Alex Morgan", email: "alex.morgan@northwind.example" },
  { name: "Sam Rivera", email: "sam@northwind.example" },
];

/** The account signed in as the fake's session user. */
export function signedIn(fake: FakeState): AccountState {
  return {
    state: "signed_in",
    session: structuredClone(fake.session),
    connector_url: FAKE_CONNECTOR,
    demo: true,
  };
}

/** The sign-in screen's account, offering the demo accounts. */
export function signedOut(fake: FakeState, reason: string | null): AccountState {
  return {
    state: "signed_out",
    connector_url: FAKE_CONNECTOR,
    email: fake.session.user.email,
    demo_accounts: demoAccounts.map((a) => ({ ...a, password: FAKE_PASSWORD })),
    reason,
  };
}

export function accountCommands(
  world: FakeWorld,
): Pick<Ipc, "accountState" | "signIn" | "signOut" | "getSession" | "syncState"> {
  const { fake } = world;
  return {
    async accountState() {
      world.record("accountState");
      return structuredClone(fake.account);
    },
    async signIn(connectorUrl, email, password) {
      world.record("signIn", connectorUrl, email, password);
      if (!/^(https?:\/\/)?[\w.-]+(:\d+)?\/?$/.test(connectorUrl.trim())) {
        throw {
          code: "invalid_connector_url",
          message: "Enter the connector's address, like https://connector.example.com.",
        };
      }
      const known = demoAccounts.find((a) => a.email === email.trim().toLowerCase());
      if (!known || password !== FAKE_PASSWORD) {
        throw { code: "invalid_credentials", message: "The email or password is wrong." };
      }
      fake.session.user = { id: `u-${known.name}`, name: known.name, email: known.email };
      fake.account = signedIn(fake);
      return structuredClone(fake.account);
    },
    async signOut() {
      world.record("signOut");
      fake.account = signedOut(fake, null);
      return structuredClone(fake.account);
    },
    async getSession() {
      world.record("getSession");
      return structuredClone(fake.session);
    },
    async syncState() {
      world.record("syncState");
      return world.options.sync ?? { state: "online" };
    },
  };
}

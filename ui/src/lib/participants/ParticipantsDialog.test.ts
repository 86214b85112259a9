import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ParticipantChange } from "../ipc/bindings/ParticipantChange";
import type { User } from "../ipc/bindings/User";
import { createFakeIpc } from "../ipc/fake";
import { ipcContext } from "../ipc/ipc";
import { testIds } from "../testids";
import ParticipantsDialog from "./ParticipantsDialog.svelte";

const alex: User = { id: "u-1", name: "Alex Morgan", email: "alex.morgan@northwind.example" };
const sam: User = { id: "u-sam", name: "Sam Rivera", email: "sam@northwind.example" };

function setup(participants: User[], answer: string | null = null) {
  const onchange = vi.fn(async (_change: ParticipantChange) => answer);
  const oncancel = vi.fn();
  const user = userEvent.setup();
  render(ParticipantsDialog, {
    props: { guest: "Maria Gonzalez", participants, me: alex.id, onchange, oncancel },
    context: ipcContext(createFakeIpc()),
  });
  return { user, onchange, oncancel };
}

describe("Participants panel", () => {
  it("lists_who_is_in_and_offers_only_colleagues_who_are_not", async () => {
    setup([alex, sam]);

    const rows = screen.getAllByTestId(testIds.participantRow);
    expect(rows.map((r) => r.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "Alex Morgan (you)",
      "Sam Rivera Remove",
    ]);
    expect(rows[0]?.querySelector("button")).toBeNull();
    await waitFor(() =>
      expect(
        screen.getByText("Everyone in your organization is in this conversation."),
      ).toBeInTheDocument(),
    );
    expect(screen.queryAllByTestId(testIds.colleagueOption)).toHaveLength(0);
  });

  it("removes_a_participant_only_after_confirming", async () => {
    const { user, onchange } = setup([alex, sam]);

    await user.click(screen.getByRole("button", { name: "Remove Sam Rivera" }));
    expect(
      screen.getByText("Remove Sam Rivera from this conversation? They will no longer see it."),
    ).toBeInTheDocument();
    expect(onchange).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Back" }));
    expect(screen.getAllByTestId(testIds.participantRow)).toHaveLength(2);

    await user.click(screen.getByTestId(testIds.removeParticipant));
    await user.click(screen.getByTestId(testIds.participantsConfirm));

    expect(onchange).toHaveBeenCalledWith({ op: "remove", user_id: "u-sam" });
  });

  it("adds_a_chosen_colleague_and_shows_a_refusal_in_its_words", async () => {
    const { user, onchange } = setup([alex], "That colleague is already in this conversation.");

    await user.click(await screen.findByTestId(testIds.colleagueOption));
    await user.click(screen.getByTestId(testIds.participantsConfirm));

    expect(onchange).toHaveBeenCalledWith({ op: "add", user_id: "u-sam" });
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "That colleague is already in this conversation.",
    );
  });

  it("asks_before_leaving_or_restarting", async () => {
    const { user, onchange } = setup([alex, sam]);

    await user.click(screen.getByTestId(testIds.restartConversation));
    expect(screen.getByText(/start a new one with Maria Gonzalez\?/)).toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.participantsConfirm));
    expect(onchange).toHaveBeenLastCalledWith({ op: "restart" });

    await user.click(screen.getByTestId(testIds.leaveConversation));
    await user.click(screen.getByTestId(testIds.participantsConfirm));
    expect(onchange).toHaveBeenLastCalledWith({ op: "leave" });
  });

  it("has_no_remove_buttons_when_the_user_is_alone", () => {
    setup([alex]);
    expect(screen.queryAllByTestId(testIds.removeParticipant)).toHaveLength(0);
  });
});

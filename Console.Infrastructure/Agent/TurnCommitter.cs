using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;

using OperatorConsole.Infrastructure.Platform;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The commit piece of a turn: writes its outcome in one transaction that first re-reads the conversation under a
/// lock, and only if this runner still owns the turn. If a human took over, the conversation was resolved, or a newer
/// customer message moved the due time, the reply is dropped (the newer turn will see everything). Replies are queued
/// as outbound rows in the same transaction, so a crash before the commit leaves the turn due (it runs again after the
/// lease) and a crash after it leaves nothing due: one reply either way.
/// </summary>
public sealed class TurnCommitter(LlmGateway llm, OutboundMessages outbound, Billing.UsageNotices notices, TimeProvider clock, ILogger<TurnCommitter> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True when the outcome was written; false when the turn was no longer this runner's (nothing sent).</summary>
    /// <param name="billable">An AI reply the plan pays for (false for a reply decided without the model, like a forced handoff).</param>
    public async Task<bool> CommitAsync(TurnClaim claim, TurnResult result, Channel channel, AppDbContext db, CancellationToken ct, bool billable = true)
    {
        // Tokens were spent whether or not the reply goes out: the usage row rides on this transaction either way.
        if (result.Model is { } model && llm.Usage(claim.TenantId, claim.ConversationId, model, LlmFeature.Reply, result.Usage) is { } usage)
            db.TokenUsage.Add(usage);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // One SaveChanges in this transaction: EF's automatic savepoint around it would only add round trips.
        db.Database.AutoSavepointsEnabled = false;
        var conversation = (await db.Conversations.FromSql($"SELECT c.*, c.xmin FROM conversations c WHERE c.id = {claim.ConversationId} FOR UPDATE")
            .ToListAsync(ct)).Single();
        var now = clock.GetUtcNow();

        if (!conversation.HoldsAgentTurn(claim.LeaseId, claim.DueAt))
        {
            var newer = conversation.AgentLeaseId == claim.LeaseId && conversation.AgentDueAt is not null && conversation.IsBotOwned;
            if (newer) conversation.ReleaseAgentTurn(claim.LeaseId); // a newer message: the next turn answers everything
            else conversation.CompleteAgentTurn(claim.LeaseId, AgentTurnOutcome.Dropped);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            log.LogInformation("Agent turn for {ConversationId} dropped: {Reason}", claim.ConversationId,
                newer ? "a newer customer message arrived" : "a human took over or the conversation closed");
            return false;
        }

        foreach (var call in result.ToolCalls)
        {
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ToolCalled, null, call.Name,
                JsonSerializer.Serialize(new { tool = call.Name, input = call.Input, output = call.Output, error = call.Error,
                    durationMs = (int)call.Duration.TotalMilliseconds }, Json), now));
        }
        if (result.Passages.Count > 0)
        {
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.KnowledgeUsed, null,
                string.Join(", ", result.Passages.Select(p => p.Title).Distinct()),
                JsonSerializer.Serialize(result.Passages.Select(p => new { p.DocumentId, p.Title, p.Text }), Json), now));
        }
        if (result.Error is { } error)
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AgentError, null, error.English, TextRefs.Serialize(error), now));

        // The authoritative allowance check: the tenant's commits take turns here, so a burst stops exactly at the limit.
        Billing.ReplyAllowance? allowance = null;
        if (billable && result.Replies.Count > 0)
        {
            allowance = await Billing.ReplyAllowance.DecideAsync(db, claim.TenantId, now, ct);
            if (allowance.Funding is null)
            {
                // Nothing goes to the customer; a person answers (the handoff below puts it in "needs a human").
                result.Replies.Clear();
                result.Handoff = TurnPreparer.PlanLimitHandoff(allowance.Exhausted ?? "allowance used");
            }
        }

        var queued = 0;
        foreach (var reply in result.Replies)
        {
            try
            {
                outbound.Stage(db, conversation, channel, MessageSender.Bot, null, reply);
                queued++;
            }
            catch (Exception ex) when (ex is WindowClosedException or DomainException)
            {
                // The window closed while the model thought, or a tool built something the channel refuses: say so.
                var notSent = new TextRef("AgentError.NotSent", $"Reply not sent: {ex.Message}", TextRefs.Word(ex) ?? ex.Message);
                db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AgentError, null,
                    notSent.English, TextRefs.Serialize(notSent), now));
            }
        }
        // Only a turn that queued a reply counts; its lease is the usage row's unique key (once, whatever races).
        if (queued > 0 && allowance?.Funding is { } funding)
        {
            var reply = AiReplyUsage.Record(claim.TenantId, conversation.Id, claim.LeaseId, funding, now);
            db.AiReplyUsage.Add(reply);
            if (funding == ReplyFunding.Credit) db.CreditEntries.Add(CreditEntry.Consume(claim.TenantId, reply.Id.ToString(), now));
        }
        conversation.CompleteAgentTurn(claim.LeaseId, queued > 0 ? AgentTurnOutcome.Answered : AgentTurnOutcome.Silent);
        if (result.Handoff is { } handoff) Handoffs.Apply(db, conversation, handoff, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        // Warnings go out after the commit and never fail the turn (each is sent once per period by its unique key).
        if (allowance is not null && (queued > 0 || allowance.Funding is null)) await notices.AfterReplyAsync(claim.TenantId, allowance, queued > 0, ct);
        return true;
    }
}

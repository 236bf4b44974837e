using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Assignment;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// A conversation going to a human outside a turn (the lead analysis found frustration, a payment problem or a
/// high-value lead), and what follows every handoff: agents are told, and the team's WhatsApp number if the owner
/// set one.
/// </summary>
public sealed class Handoffs(ContextScopes scopes, OutboundMessages outbound, SystemEventWriter systemEvents,
    AssignmentService assignment, TimeProvider clock, ILogger<Handoffs> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Hands a bot-owned conversation to a human with a short message to the customer; false if a human already has it.</summary>
    public async Task<bool> HandOffAsync(Guid tenantId, Guid conversationId, HandoffRequest request, string language, CancellationToken ct)
    {
        await using (var work = scopes.ForTenant(tenantId))
        {
            var db = work.Db;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var conversation = (await db.Conversations.FromSql($"SELECT c.*, c.xmin FROM conversations c WHERE c.id = {conversationId} FOR UPDATE")
                .ToListAsync(ct)).Single();
            if (!conversation.IsBotOwned || conversation.Status == ConversationStatus.Resolved) return false;
            var now = clock.GetUtcNow();
            var channel = await db.Channels.SingleAsync(c => c.Id == conversation.ChannelId, ct);
            try
            {
                outbound.Stage(db, conversation, channel, MessageSender.Bot, null, new OutboundContent { Text = CustomerLanguage.HandoffMessage(language) });
            }
            catch (WindowClosedException)
            {
                // The customer is not waiting on an answer right now; the handoff itself still happens.
            }
            Apply(db, conversation, request, now);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        await AfterHandoffAsync(tenantId, conversationId, request, ct);
        return true;
    }

    /// <summary>The handoff itself and its timeline entry, in the caller's unit of work (a handoff request or an agent turn's commit).</summary>
    internal static void Apply(Data.AppDbContext db, Conversation conversation, HandoffRequest request, DateTimeOffset now)
    {
        conversation.HandOff(request.Reason, request.Priority, now);
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.HandedOff, null,
            request.Note is { } note ? $"{request.Reason}: {note}" : request.Reason.ToString(),
            JsonSerializer.Serialize(new { reason = request.Reason.ToString(), priority = request.Priority.ToString(), slaDueAt = conversation.SlaDueAt }, Json), now));
    }

    /// <summary>
    /// After the handoff is committed: an online agent who works the channel gets it (round robin, within capacity;
    /// nobody available leaves it in "needs a human"), the inbox hears of it, and the team's number gets a short notice.
    /// </summary>
    public async Task AfterHandoffAsync(Guid tenantId, Guid conversationId, HandoffRequest request, CancellationToken ct)
    {
        try
        {
            await assignment.AutoAssignAsync(tenantId, conversationId, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Unassigned is a valid state: the conversation waits in "needs a human" with its SLA clock running.
            log.LogWarning(ex, "Automatic assignment failed for {ConversationId}", conversationId);
        }
        await systemEvents.WriteAsync(Severity.Info, "agent.handoff", new TextRef("SystemEvent.HandedOff", $"Conversation handed to a human: {request.Reason} ({request.Priority})",
                TextRef.Word($"Handoff.{request.Reason}"), TextRef.Word($"Priority.{request.Priority}")),
            tenantId, JsonSerializer.Serialize(new { conversationId, note = request.Note }, Json), ct);
        try
        {
            await NotifyTeamNumberAsync(tenantId, conversationId, request, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Could not notify the team number of a handoff in {ConversationId}", conversationId);
        }
    }

    /// <summary>
    /// WhatsApp only lets us write free text to a number that wrote to us in the last 24 hours: the notice goes to the
    /// team number's own conversation when that window is open, and is recorded as a warning when it is not.
    /// </summary>
    private async Task NotifyTeamNumberAsync(Guid tenantId, Guid conversationId, HandoffRequest request, CancellationToken ct)
    {
        Guid? target = null;
        string? customer = null;
        string? culture = null;
        await using (var work = scopes.ForTenant(tenantId))
        {
            var db = work.Db;
            var number = await db.AgentProfiles.Where(p => p.State == AgentProfileState.Live).Select(p => p.HandoffNotifyNumber).SingleOrDefaultAsync(ct);
            if (number is null) return;
            culture = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.DefaultCulture).SingleOrDefaultAsync(ct);
            var now = clock.GetUtcNow();
            target = await (from c in db.Conversations
                            join k in db.Contacts on c.ContactId equals k.Id
                            join ch in db.Channels on c.ChannelId equals ch.Id
                            where k.PhoneE164 == number && ch.Kind == ChannelKind.WhatsApp && c.CustomerWindowExpiresAt > now
                            orderby c.LastMessageAt descending
                            select (Guid?)c.Id).FirstOrDefaultAsync(ct);
            customer = await (from c in db.Conversations join k in db.Contacts on c.ContactId equals k.Id
                              where c.Id == conversationId select k.Name ?? k.PhoneE164).FirstOrDefaultAsync(ct);
            if (target is null)
            {
                await systemEvents.WriteAsync(Severity.Warning, "agent.handoff_notify",
                    new TextRef("SystemEvent.TeamNumberClosed",
                        "The team's WhatsApp number has not written in the last 24 hours, so the handoff notice could not be sent (WhatsApp allows only templates)."),
                    tenantId, null, ct);
                return;
            }
        }
        await outbound.QueueAsync(tenantId, target.Value, MessageSender.System, null,
            new OutboundContent { Text = CustomerLanguage.TeamHandoffNotice(culture?.StartsWith("en", StringComparison.Ordinal) == true ? "en" : "es", customer, request.Reason, request.Priority) }, ct);
    }
}

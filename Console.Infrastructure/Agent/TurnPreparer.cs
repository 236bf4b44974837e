using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// What a claimed turn will do: ask the engine with <see cref="Input"/> and <see cref="Tools"/>, or commit
/// <see cref="Decided"/> as it is (a turn that kept failing goes to a human without asking the model).
/// </summary>
public sealed record TurnPlan(TurnInput? Input, Guid ContactId, Channel Channel, IReadOnlyList<AIFunction> Tools, TurnResult? Decided = null);

/// <summary>
/// The prepare piece of a turn: loads what it needs and applies the rules that decide whether it runs at all (bot
/// switched off, a human owns it, the customer's burst not over, a turn that keeps failing, a customer over the rate
/// limits) — in as few round trips as possible (one joined read, one statistics read that also brings the history;
/// profile and tools cached; the caller's connection kept open), because this is the turn's overhead on top of the model.
/// </summary>
public sealed class TurnPreparer(
    AgentProfiles profiles,
    AgentTurnClaims claims,
    Tools.CustomToolRunner customTools,
    SystemEventWriter systemEvents,
    BillingReads billing,
    IOptionsMonitor<AgentOptions> options,
    TimeProvider clock,
    ILogger<TurnPreparer> log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The newest messages the turn sees (the prompt bounds them by tokens further).</summary>
    private const int HistoryMessages = 60;

    // {0} conversation, {1} contact, {2} a minute ago, {3} an hour ago, {4} history length.
    internal const string TurnStatsSql = $$"""
        SELECT (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = {0} AND m.direction = '{{nameof(MessageDirection.Inbound)}}') AS last_inbound,
               (SELECT count(*)::int FROM messages m WHERE m.conversation_id = {0} AND m.direction = '{{nameof(MessageDirection.Inbound)}}') AS customer_messages,
               (SELECT count(*)::int FROM conversation_events e WHERE e.conversation_id = {0} AND e.type = '{{nameof(ConversationEventType.AgentError)}}') AS agent_errors,
               (SELECT count(*)::int FROM messages m JOIN conversations x ON x.id = m.conversation_id
                 WHERE x.contact_id = {1} AND m.direction = '{{nameof(MessageDirection.Inbound)}}' AND m.created_at > {2}) AS last_minute,
               (SELECT count(*)::int FROM messages m JOIN conversations x ON x.id = m.conversation_id
                 WHERE x.contact_id = {1} AND m.direction = '{{nameof(MessageDirection.Inbound)}}' AND m.created_at > {3}) AS last_hour,
               -- The history rides along as JSON: one round trip fewer.
               -- In the order we stored them: channels stamp customers' messages in whole seconds, so a reply within the
               -- second of ours would sort before it by sent_at and the turn would not see it as new.
               (SELECT coalesce(json_agg(json_build_object('sender', h.sender, 'text', h.body, 'at', h.sent_at, 'type', h.type,
                                                           'media', h.media_text) ORDER BY h.created_at), '[]')
                FROM (SELECT m.sender, m.body, m.sent_at, m.created_at, m.type, m.media_text FROM messages m
                      WHERE m.conversation_id = {0} AND m.deleted_at IS NULL
                        AND (m.body IS NOT NULL OR (m.direction = '{{nameof(MessageDirection.Inbound)}}' AND m.type IN ({{MediaLines.ReadTypes}})))
                      ORDER BY m.created_at DESC LIMIT {4}) h)::text AS history,
               -- A voice note or image still being fetched and read: the turn waits for it (up to Agent:MediaWaitSeconds).
               (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = {0} AND m.direction = '{{nameof(MessageDirection.Inbound)}}'
                  AND m.type IN ({{MediaLines.ReadTypes}}) AND m.media_state = '{{nameof(MediaState.Pending)}}') AS pending_media,
               -- The allowance pre-check rides along too ({5} tenant, {6} its day start, {7} its month start). Each count
               -- stops at its allowance ({8} day, {9} month: PlanLimits.ReplyCountCaps): only "used up or not" matters here,
               -- and an uncapped count read every reply of the month on every turn, more as the month went on.
               (SELECT count(*)::int FROM (SELECT FROM ai_reply_usage u WHERE u.tenant_id = {5} AND u.occurred_at >= {6} LIMIT {8}) d) AS replies_today,
               (SELECT count(*)::int FROM (SELECT FROM ai_reply_usage u WHERE u.tenant_id = {5} AND u.occurred_at >= {7} LIMIT {9}) m) AS replies_month,
               (SELECT coalesce(sum(e.replies), 0)::int FROM credit_entries e WHERE e.tenant_id = {5}) AS credit_balance
        """;

    internal sealed record TurnStats(DateTimeOffset? LastInbound, int CustomerMessages, int AgentErrors, int LastMinute, int LastHour, string History,
        DateTimeOffset? PendingMedia, int RepliesToday, int RepliesMonth, int CreditBalance);

    /// <summary>A history row as the SQL gives it; media rows become text through <see cref="MediaLines"/>.</summary>
    private sealed record HistoryRow(MessageSender Sender, string? Text, DateTimeOffset At, MessageType Type, string? Media);

    /// <summary>The plan for the claimed turn, or null when it does not run (the claim was already let go or finished).</summary>
    public async Task<TurnPlan?> PrepareAsync(TurnClaim claim, WorkScope work, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var db = work.Db;
        var now = clock.GetUtcNow();
        var row = await (from c in db.Conversations
                         join k in db.Contacts on c.ContactId equals k.Id
                         join ch in db.Channels on c.ChannelId equals ch.Id
                         join t in db.Tenants on c.TenantId equals t.Id
                         from s in db.Subscriptions.Where(s => s.TenantId == c.TenantId).DefaultIfEmpty()
                         where c.Id == claim.ConversationId
                         select new { Conversation = c, Contact = k, Channel = ch, Tenant = t, Subscription = s }).AsNoTracking().SingleAsync(ct);
        var (conversation, contact, channel, tenant) = (row.Conversation, row.Contact, row.Channel, row.Tenant);
        if (conversation.AgentLeaseId != claim.LeaseId) return null;
        var settings = await profiles.GetTurnSettingsAsync(db, claim.TenantId, ct);
        var profile = settings.Profile;

        if (WhyNot(tenant, channel, contact, conversation, now) is { } blocked)
        {
            log.LogDebug("Agent turn for {ConversationId} skipped: {Reason}", conversation.Id, blocked);
            await claims.FinishAsync(claim, ct);
            return null;
        }

        // Billing: a stopped subscription (trial ended, unpaid beyond grace, canceled) does not pay the model; humans take over.
        var entitlement = billing.Evaluate(tenant, row.Subscription);
        if (entitlement.Service == ServiceLevel.Stopped)
            return Silent(channel, contact.Id, new HandoffRequest(HandoffReason.BillingStopped, HandoffPriority.Normal,
                $"the bot is stopped ({entitlement.Stopped}): the workspace's subscription needs attention"));

        var (dayStart, monthStart) = BillingReads.PeriodStarts(tenant.TimeZone, now);
        var (dayCap, monthCap) = entitlement.Limits.ReplyCountCaps;
        var stats = (await db.Database.SqlQuery<TurnStats>(
            SqlText.With(TurnStatsSql, conversation.Id, contact.Id, now.AddMinutes(-1), now.AddHours(-1), HistoryMessages,
                tenant.Id, dayStart, monthStart, dayCap, monthCap)).ToListAsync(ct)).Single();

        // The tenant's buffer may be longer than the one the webhook used: wait for the burst to end.
        if (stats.LastInbound is { } last && last + profile.Buffer > now)
        {
            await claims.ReleaseAsync(claim, last + profile.Buffer, ct);
            return null;
        }

        // Looked at again each second until the file is read or the bound passes (the media fetcher also brings the turn
        // forward when it is idle); the waits never count as failed attempts.
        if (stats.PendingMedia is { } pending && pending.AddSeconds(o.MediaWaitSeconds) > now)
        {
            var bound = pending.AddSeconds(o.MediaWaitSeconds);
            await claims.PostponeAsync(claim, bound < now.AddSeconds(1) ? bound : now.AddSeconds(1), ct);
            return null;
        }

        if (claim.Attempts > o.MaxTurnAttempts)
            return await ForcedHandoffAsync(db, conversation, channel, contact.Id, HandoffReason.RepeatedFailures,
                $"the agent turn failed {claim.Attempts - 1} times", tenant.DefaultCulture, ct);

        if (await RateLimitedAsync(db, contact.Id, conversation, claim, stats, now, o, ct)) return null;

        // The allowance clearly used up (and no credits): no model call. The committer's count under the tenant's lock
        // is the authoritative one; this only saves paying for a reply that could not be sent.
        if (AllowanceUsed(entitlement.Limits, stats.RepliesToday, stats.RepliesMonth) is { } used && stats.CreditBalance <= 0)
            return Silent(channel, contact.Id, PlanLimitHandoff(used));

        var history = (JsonSerializer.Deserialize<List<HistoryRow>>(stats.History, HistoryJson) ?? [])
            .Select(h => new TurnMessage(h.Sender, MediaLines.Text(h.Type, h.Text, h.Media), h.At)).ToList();
        var lastReply = history.FindLastIndex(m => m.Sender is MessageSender.Bot or MessageSender.Agent);
        var newTexts = history.Skip(lastReply + 1).Where(m => m.Sender == MessageSender.Contact).Select(m => m.Text).ToList();
        // The conversation's own contact, not whatever the model is told, fills {{contact.*}} in the tenant's templates.
        var toolContext = new Tools.ToolCallContext(contact.Id, contact.PhoneE164, contact.Name, conversation.Id);
        // Custom webhook tools are a plan feature: after a downgrade they stay configured but the agent is not offered them.
        var tools = !entitlement.Limits.Has(Domain.Billing.PlanFeature.CustomTools) ? []
            : settings.Tools.Select(t => (AIFunction)new Tools.CustomToolFunction(t, customTools, forceMock: false, toolContext)).ToList();
        // Retrieved here, on the connection already open, rather than by the engine on a new one.
        var passages = newTexts.Count == 0 || !settings.HasKnowledge ? []
            : await work.Services.GetRequiredService<Knowledge.KnowledgeBase>().SearchAsync(string.Join("\n", newTexts), AgentEngine.PassagesPerTurn, ct);

        var stages = await db.PipelineStages.AsNoTracking().OrderBy(s => s.Position).Select(s => new { s.Id, s.Name }).ToListAsync(ct);
        var lead = new LeadSnapshot(contact.Name, contact.PhoneE164, contact.Email, contact.Company,
            stages.FirstOrDefault(s => s.Id == contact.StageId)?.Name ?? "", contact.Score, contact.Temperature.ToString(), contact.Fields, contact.Summary)
        {
            PipelineStages = stages.Select(s => s.Name).ToList(),
        };
        var input = new TurnInput(tenant.Id, conversation.Id, tenant.Name, tenant.DefaultCulture, profile, lead, channel.Kind, history, newTexts,
            stats.CustomerMessages, stats.AgentErrors, LlmFeature.Reply, now, passages) { DisabledBuiltIns = tenant.DisabledBuiltInTools, Files = settings.Files };
        return new TurnPlan(input, contact.Id, channel, tools);
    }

    /// <summary>Which allowance is used up ("day" or "month"), or null when the plan still pays for a reply.</summary>
    internal static string? AllowanceUsed(PlanLimits limits, int today, int month) =>
        limits.RepliesPerDay is { } perDay && today >= perDay ? $"daily allowance of {perDay} AI replies used"
        : limits.RepliesPerMonth is { } perMonth && month >= perMonth ? $"monthly allowance of {perMonth} AI replies used"
        : null;

    internal static HandoffRequest PlanLimitHandoff(string why) =>
        new(HandoffReason.PlanLimit, HandoffPriority.Normal, $"{why} and no credits left: the bot pauses until the allowance renews");

    /// <summary>A turn decided without the model: no message to the customer, the conversation goes to the humans' queue.</summary>
    private static TurnPlan Silent(Channel channel, Guid contactId, HandoffRequest handoff) =>
        new(null, contactId, channel, [], new TurnResult { Handoff = handoff, Silent = true });

    private static string? WhyNot(Tenant tenant, Channel channel, Contact contact, Conversation conversation, DateTimeOffset now)
    {
        if (tenant.Status != TenantStatus.Active) return "tenant suspended";
        if (!tenant.BotEnabled) return "bot off for the tenant";
        if (!channel.BotEnabled) return "bot off for the channel";
        if (!channel.IsLive) return "channel disabled or disconnected";
        if (!contact.BotAllowed(now)) return "bot off or paused for the contact";
        if (!conversation.IsBotOwned) return "a human owns the conversation";
        if (conversation.Status == ConversationStatus.Resolved) return "conversation resolved";
        return null;
    }

    /// <summary>Per-customer limits: beyond them messages are still stored, but the bot pauses for that customer.</summary>
    private async Task<bool> RateLimitedAsync(AppDbContext db, Guid contactId, Conversation conversation, TurnClaim claim, TurnStats stats,
        DateTimeOffset now, AgentOptions o, CancellationToken ct)
    {
        var perMinute = stats.LastMinute;
        TimeSpan? pause = perMinute > o.RateLimitPerMinute ? TimeSpan.FromMinutes(1)
            : stats.LastHour > o.RateLimitPerHour ? TimeSpan.FromHours(1) : null;
        if (pause is null) return false;

        var contact = await db.Contacts.SingleAsync(c => c.Id == contactId, ct);
        contact.PauseBot(now + pause.Value);
        var perMinuteHit = perMinute > o.RateLimitPerMinute;
        var why = perMinuteHit
            ? $"{perMinute} messages in a minute (limit {o.RateLimitPerMinute})"
            : $"{stats.LastHour} messages in an hour (limit {o.RateLimitPerHour})";
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.BotPaused, null,
            $"Bot paused for this customer until {(now + pause.Value):HH:mm} UTC: {why}", null, now));
        db.Raise(new ContactBotSwitched(claim.TenantId, conversation.Id, Enabled: false));
        await db.SaveChangesAsync(ct);
        // Recorded before the turn is let go: whoever sees the turn finished also sees why.
        await systemEvents.WriteAsync(Severity.Warning, "agent.rate_limit", new TextRef(perMinuteHit ? "SystemEvent.RateLimitMinute" : "SystemEvent.RateLimitHour",
            $"Customer rate limit reached: {why}; bot paused for {pause.Value.TotalMinutes:0} min",
            (perMinuteHit ? perMinute : stats.LastHour).ToString(CultureInfo.InvariantCulture),
            (perMinuteHit ? o.RateLimitPerMinute : o.RateLimitPerHour).ToString(CultureInfo.InvariantCulture),
            pause.Value.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)),
            claim.TenantId, JsonSerializer.Serialize(new { conversationId = conversation.Id, contactId = contact.Id }, Json), ct);
        await claims.FinishAsync(claim, ct);
        return true;
    }

    /// <summary>A turn that keeps failing is not tried again: the customer is told a person will answer, and one will.</summary>
    private static async Task<TurnPlan> ForcedHandoffAsync(AppDbContext db, Conversation conversation, Channel channel, Guid contactId,
        HandoffReason reason, string note, string culture, CancellationToken ct)
    {
        var lastText = await db.Messages.Where(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Inbound && m.Body != null)
            .OrderByDescending(m => m.SentAt).Select(m => m.Body!).FirstOrDefaultAsync(ct);
        var lang = CustomerLanguage.Detect(lastText is null ? [] : [lastText], culture);
        var result = new TurnResult { Language = lang, Handoff = new HandoffRequest(reason, HandoffPriority.Urgent, note) };
        result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(lang) });
        return new TurnPlan(null, contactId, channel, [], result);
    }
}

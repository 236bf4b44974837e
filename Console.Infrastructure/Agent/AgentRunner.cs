using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Live;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>The AI agent's turns. Keys: Agent:*.</summary>
public sealed class AgentOptions
{
    /// <summary>
    /// Turns running at once per node (0: this node runs none, another node does). A turn spends nearly all its time
    /// waiting for the model (seconds), holding no database connection meanwhile, so this is about how many customers
    /// are answered in parallel, not about cores.
    /// </summary>
    [Range(0, 4096)] public int Workers { get; set; } = 32;

    /// <summary>How long a claimed turn belongs to its runner; after that (a crashed node) any node may run it again.</summary>
    [Range(1, 86400)] public int LeaseSeconds { get; set; } = 180;

    /// <summary>A turn whose runner keeps dying is handed to a human after this many claims.</summary>
    [Range(1, 100)] public int MaxTurnAttempts { get; set; } = 3;

    [Range(1, int.MaxValue)] public int RateLimitPerMinute { get; set; } = 20;
    [Range(1, int.MaxValue)] public int RateLimitPerHour { get; set; } = 100;
    [Range(1, int.MaxValue)] public int HistoryTokens { get; set; } = 3000;

    /// <summary>How often an idle node looks for due turns.</summary>
    [Range(1, 60000)] public int PollMilliseconds { get; set; } = 250;

    /// <summary>The older name of Network:PrivateAllowlist, still honoured (the two lists are joined).</summary>
    public List<string> ToolAllowlist { get; set; } = [];
}

/// <summary>A due turn this runner holds.</summary>
public sealed record TurnClaim(Guid ConversationId, Guid TenantId, DateTimeOffset DueAt, Guid LeaseId, int Attempts);

/// <summary>
/// Runs agent turns exactly once. A turn is claimed with a lease on the conversation row (SKIP LOCKED, so nodes never
/// share one), prepared, decided by the <see cref="AgentEngine"/> without holding a connection, and committed in one
/// transaction that first re-reads the row under a lock: if a human took over, the conversation was resolved, or a
/// newer customer message moved the due time, the reply is dropped (the newer turn will see everything). Replies are
/// queued as outbound rows in that same transaction, so a crash before the commit leaves the turn due (it runs again
/// after the lease) and a crash after it leaves nothing due: one reply either way.
/// </summary>
public sealed class AgentRunner(
    ContextScopes scopes,
    AgentEngine engine,
    AgentProfiles profiles,
    LlmGateway llm,
    LeadAnalyzer analyzer,
    Handoffs handoffs,
    OutboundMessages outbound,
    Tools.CustomToolRunner customTools,
    ConversationNotifier notifier,
    SystemEventWriter systemEvents,
    IOptionsMonitor<AgentOptions> options,
    PublicLinks publicLinks,
    TimeProvider clock,
    ILogger<AgentRunner> log,
    IOptionsMonitor<AppointmentLimitOptions> appointmentLimits)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<TurnClaim?> ClaimAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lease = Guid.NewGuid();
        var until = now.AddSeconds(options.CurrentValue.LeaseSeconds);
        await using var work = scopes.ForSystem("agent turn claim");
        var rows = await work.Db.Database.SqlQuery<ClaimRow>(AgentTurnLease.ClaimDueTurn(now, lease, until)).ToListAsync(ct);
        return rows.Count switch
        {
            0 => null,
            1 => new TurnClaim(rows[0].ConversationId, rows[0].TenantId, rows[0].DueAt, lease, rows[0].Attempts),
            _ => throw new InvalidOperationException($"An agent turn claim leased {rows.Count} conversations; it must lease one."),
        };
    }

    // {0} conversation, {1} contact, {2} a minute ago, {3} an hour ago, {4} history length.
    private const string TurnStatsSql = $$"""
        SELECT (SELECT max(m.created_at) FROM messages m WHERE m.conversation_id = {0} AND m.direction = '{{nameof(MessageDirection.Inbound)}}') AS last_inbound,
               (SELECT count(*)::int FROM messages m WHERE m.conversation_id = {0} AND m.direction = '{{nameof(MessageDirection.Inbound)}}') AS customer_messages,
               (SELECT count(*)::int FROM conversation_events e WHERE e.conversation_id = {0} AND e.type = '{{nameof(ConversationEventType.AgentError)}}') AS agent_errors,
               (SELECT count(*)::int FROM messages m JOIN conversations x ON x.id = m.conversation_id
                 WHERE x.contact_id = {1} AND m.direction = '{{nameof(MessageDirection.Inbound)}}' AND m.created_at > {2}) AS last_minute,
               (SELECT count(*)::int FROM messages m JOIN conversations x ON x.id = m.conversation_id
                 WHERE x.contact_id = {1} AND m.direction = '{{nameof(MessageDirection.Inbound)}}' AND m.created_at > {3}) AS last_hour,
               -- The history rides along as JSON: one round trip fewer.
               (SELECT coalesce(json_agg(json_build_object('sender', h.sender, 'text', h.body, 'at', h.sent_at) ORDER BY h.sent_at), '[]')
                FROM (SELECT m.sender, m.body, m.sent_at FROM messages m
                      WHERE m.conversation_id = {0} AND m.body IS NOT NULL AND m.deleted_at IS NULL
                      ORDER BY m.sent_at DESC LIMIT {4}) h)::text AS history
        """;

    // Column names follow the snake_case convention EF applies to SqlQuery results too.
    private sealed record ClaimRow(Guid ConversationId, Guid TenantId, DateTimeOffset DueAt, int Attempts);

    /// <summary>Runs a turn this runner claimed; a failure gives it back (due again shortly) instead of throwing.</summary>
    public async Task RunClaimedAsync(TurnClaim claim, CancellationToken ct)
    {
        try
        {
            await RunAsync(claim, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Give the turn back at once (a little later) instead of holding it until the lease runs out; the attempt
            // count hands a turn that keeps failing to a human.
            log.LogError(ex, "Agent turn for {ConversationId} failed (attempt {Attempt}); it will be retried", claim.ConversationId, claim.Attempts);
            await ReleaseAsync(claim, clock.GetUtcNow().AddSeconds(Math.Min(30, 2 * claim.Attempts)), CancellationToken.None);
        }
    }

    /// <summary>
    /// Lets go of the turn without answering; it is due again at <paramref name="dueAgainAt"/> unless something else
    /// (a newer message, a takeover) changed it meanwhile. A plain conditional UPDATE: the webhook processors write
    /// the same row all the time, and this must not lose a race with them.
    /// </summary>
    private async Task ReleaseAsync(TurnClaim claim, DateTimeOffset? dueAgainAt, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(claim.TenantId);
        await work.Db.Database.ExecuteSqlAsync(AgentTurnLease.Release(claim, dueAgainAt), ct);
        // The row changed: screens holding its version must reload before an operator acts on it.
        notifier.Publish(new ConversationChanged(claim.TenantId, claim.ConversationId, "agent turn released"));
    }

    /// <summary>Nothing to answer for this due time: clear it (a newer message keeps its own due time).</summary>
    private async Task FinishAsync(TurnClaim claim, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(claim.TenantId);
        await work.Db.Database.ExecuteSqlAsync(AgentTurnLease.Complete(claim), ct);
        notifier.Publish(new ConversationChanged(claim.TenantId, claim.ConversationId, "agent turn finished"));
    }

    public async Task RunAsync(TurnClaim claim, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var modelTime = ModelTimer.Start();
        // The prepare's reads share one connection: each pooled open would pay the tenant settings' round trip again.
        // It goes back to the pool while the model thinks (seconds, and many turns at once) and is taken again to commit.
        await using var work = scopes.ForTenant(claim.TenantId);
        await work.Db.Database.OpenConnectionAsync(ct);
        var prepared = await PrepareAsync(claim, work, ct);
        await work.Db.Database.CloseConnectionAsync();
        if (prepared is null) return;
        var prepareTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var input = prepared.Input;

        var effects = new LiveTurnEffects(scopes, claim.TenantId, prepared.ContactId, claim.ConversationId, input.Profile,
            publicLinks.Base.AbsoluteUri, clock, appointmentLimits.CurrentValue.MaxOpenPerContact);
        var result = await engine.RunAsync(input, effects, prepared.Tools, ct);
        var decided = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var committed = await CommitAsync(claim, result, prepared.Channel, work.Db, ct);
        var total = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        // One line per turn: its cost to us (everything but the model) is what bench/agent.sh reports.
        log.LogInformation("Agent turn {ConversationId} {Outcome} in {TotalMs:0.0} ms, model {ModelMs:0.0} ms, overhead {OverheadMs:0.0} ms " +
                           "(prepare {PrepareMs:0.0}, decide {DecideMs:0.0}, commit {CommitMs:0.0})",
            claim.ConversationId, committed ? "answered" : "dropped", total.TotalMilliseconds, modelTime.Value.TotalMilliseconds,
            (total - modelTime.Value).TotalMilliseconds, prepareTime.TotalMilliseconds,
            (decided - prepareTime - modelTime.Value).TotalMilliseconds, (total - decided).TotalMilliseconds);
        if (!committed) return;
        if (result.Handoff is { } handoff) await handoffs.AfterHandoffAsync(claim.TenantId, claim.ConversationId, handoff, ct);
        else if (llm.IsConfigured && result.Error is null)
            await analyzer.AnalyzeAsync(claim.TenantId, claim.ConversationId, input.Profile, ct);
    }

    /// <summary>Loads what the turn needs and applies the rules that decide whether it runs at all.</summary>
    private sealed record TurnStats(DateTimeOffset? LastInbound, int CustomerMessages, int AgentErrors, int LastMinute, int LastHour, string History);

    /// <summary>The newest messages the turn sees (the prompt bounds them by tokens further).</summary>
    private const int HistoryMessages = 60;

    private static readonly JsonSerializerOptions HistoryJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private sealed record Prepared(TurnInput Input, Guid ContactId, Channel Channel, IReadOnlyList<AIFunction> Tools);

    /// <summary>
    /// Loads what the turn needs and applies the rules that decide whether it runs at all — in as few round trips as
    /// possible (one joined read, one statistics read that also brings the history; profile and tools cached; the
    /// connection kept for the commit), because this is the turn's overhead on top of the model.
    /// </summary>
    private async Task<Prepared?> PrepareAsync(TurnClaim claim, WorkScope work, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var db = work.Db;
        var now = clock.GetUtcNow();
        var row = await (from c in db.Conversations
                         join k in db.Contacts on c.ContactId equals k.Id
                         join ch in db.Channels on c.ChannelId equals ch.Id
                         join t in db.Tenants on c.TenantId equals t.Id
                         where c.Id == claim.ConversationId
                         select new { Conversation = c, Contact = k, Channel = ch, Tenant = t }).AsNoTracking().SingleAsync(ct);
        var (conversation, contact, channel, tenant) = (row.Conversation, row.Contact, row.Channel, row.Tenant);
        if (conversation.AgentLeaseId != claim.LeaseId) return null;
        var settings = await profiles.GetTurnSettingsAsync(db, claim.TenantId, ct);
        var profile = settings.Profile;

        var blocked = WhyNot(tenant, channel, contact, conversation, now);
        if (blocked is not null)
        {
            log.LogDebug("Agent turn for {ConversationId} skipped: {Reason}", conversation.Id, blocked);
            await FinishAsync(claim, ct);
            return null;
        }

        var stats = (await db.Database.SqlQuery<TurnStats>(
            SqlText.With(TurnStatsSql, conversation.Id, contact.Id, now.AddMinutes(-1), now.AddHours(-1), HistoryMessages)).ToListAsync(ct)).Single();

        // The tenant's buffer may be longer than the one the webhook used: wait for the burst to end.
        if (stats.LastInbound is { } last && last + profile.Buffer > now)
        {
            await ReleaseAsync(claim, last + profile.Buffer, ct);
            return null;
        }

        if (claim.Attempts > o.MaxTurnAttempts)
        {
            await ForceHandoffAsync(db, conversation, claim, HandoffReason.RepeatedFailures,
                $"the agent turn failed {claim.Attempts - 1} times", tenant.DefaultCulture, ct);
            return null;
        }

        if (await RateLimitedAsync(db, contact.Id, conversation, claim, stats, now, o, ct)) return null;

        var history = JsonSerializer.Deserialize<List<TurnMessage>>(stats.History, HistoryJson) ?? [];
        var lastReply = history.FindLastIndex(m => m.Sender is MessageSender.Bot or MessageSender.Agent);
        var newTexts = history.Skip(lastReply + 1).Where(m => m.Sender == MessageSender.Contact).Select(m => m.Text).ToList();
        // The conversation's own contact, not whatever the model is told, fills {{contact.*}} in the tenant's templates.
        var toolContext = new Tools.ToolCallContext(contact.Id, contact.PhoneE164, contact.Name, conversation.Id);
        var tools = settings.Tools.Select(t => (AIFunction)new Tools.CustomToolFunction(t, customTools, forceMock: false, toolContext)).ToList();
        // Retrieved here, on the connection already open, rather than by the engine on a new one.
        var passages = newTexts.Count == 0 || !settings.HasKnowledge ? []
            : await work.Services.GetRequiredService<Knowledge.KnowledgeBase>().SearchAsync(string.Join("\n", newTexts), AgentEngine.PassagesPerTurn, ct);

        var lead = new LeadSnapshot(contact.Name, contact.PhoneE164, contact.Email, contact.Company, contact.Stage.ToString(), contact.Score,
            contact.Temperature.ToString(), contact.Fields, contact.Summary);
        var input = new TurnInput(tenant.Id, conversation.Id, tenant.Name, tenant.DefaultCulture, profile, lead, channel.Kind, history, newTexts,
            stats.CustomerMessages, stats.AgentErrors, LlmFeature.Reply, now, passages);
        return new Prepared(input, contact.Id, channel, tools);
    }

    /// <summary>The tenant's enabled webhook tools (the context's tenant), as functions the model can call.</summary>
    public static async Task<IReadOnlyList<AIFunction>> CustomToolsAsync(AppDbContext db, Tools.CustomToolRunner runner, bool forceMock,
        Tools.ToolCallContext context, CancellationToken ct)
    {
        var tools = await db.AgentTools.AsNoTracking().Where(t => t.Enabled).OrderBy(t => t.Name).ToListAsync(ct);
        return tools.Select(t => (AIFunction)new Tools.CustomToolFunction(t, runner, forceMock, context)).ToList();
    }

    private static string? WhyNot(Tenant tenant, Channel channel, Contact contact, Conversation conversation, DateTimeOffset now)
    {
        if (tenant.Status != TenantStatus.Active) return "tenant suspended";
        if (!tenant.BotEnabled) return "bot off for the tenant";
        if (!channel.BotEnabled) return "bot off for the channel";
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
        var why = perMinute > o.RateLimitPerMinute
            ? $"{perMinute} messages in a minute (limit {o.RateLimitPerMinute})"
            : $"{stats.LastHour} messages in an hour (limit {o.RateLimitPerHour})";
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.BotPaused, null,
            $"Bot paused for this customer until {(now + pause.Value):HH:mm} UTC: {why}", null, now));
        await db.SaveChangesAsync(ct);
        // Recorded before the turn is let go: whoever sees the turn finished also sees why.
        await systemEvents.WriteAsync(Severity.Warning, "agent.rate_limit", $"Customer rate limit reached: {why}; bot paused for {pause.Value.TotalMinutes:0} min",
            claim.TenantId, JsonSerializer.Serialize(new { conversationId = conversation.Id, contactId = contact.Id }, Json), ct);
        await FinishAsync(claim, ct);
        notifier.Publish(new ConversationChanged(claim.TenantId, conversation.Id, "bot paused"));
        return true;
    }

    private async Task ForceHandoffAsync(AppDbContext db, Conversation conversation, TurnClaim claim, HandoffReason reason, string note,
        string culture, CancellationToken ct)
    {
        var lastText = await db.Messages.Where(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Inbound && m.Body != null)
            .OrderByDescending(m => m.SentAt).Select(m => m.Body!).FirstOrDefaultAsync(ct);
        var lang = CustomerLanguage.Detect(lastText is null ? [] : [lastText], culture);
        var result = new TurnResult { Language = lang, Handoff = new HandoffRequest(reason, HandoffPriority.Urgent, note) };
        result.Replies.Add(new OutboundContent { Text = CustomerLanguage.HandoffMessage(lang) });
        var channel = await db.Channels.AsNoTracking().SingleAsync(c => c.Id == conversation.ChannelId, ct);
        if (await CommitAsync(claim, result, channel, db, ct))
            await handoffs.AfterHandoffAsync(claim.TenantId, claim.ConversationId, result.Handoff, ct);
    }

    /// <summary>Writes the turn's outcome if, and only if, this runner still owns the turn.</summary>
    private async Task<bool> CommitAsync(TurnClaim claim, TurnResult result, Channel channel, AppDbContext db, CancellationToken ct)
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
            else conversation.CompleteAgentTurn(claim.LeaseId);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            log.LogInformation("Agent turn for {ConversationId} dropped: {Reason}", claim.ConversationId,
                newer ? "a newer customer message arrived" : "a human took over or the conversation closed");
            notifier.Publish(new ConversationChanged(claim.TenantId, claim.ConversationId, "agent turn dropped"));
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
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AgentError, null, error, null, now));

        foreach (var reply in result.Replies)
        {
            try
            {
                outbound.Stage(db, conversation, channel, MessageSender.Bot, null, reply);
            }
            catch (Exception ex) when (ex is WindowClosedException or DomainException)
            {
                // The window closed while the model thought, or a tool built something the channel refuses: say so.
                db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AgentError, null,
                    $"Reply not sent: {ex.Message}", null, now));
            }
        }
        conversation.CompleteAgentTurn(claim.LeaseId);
        if (result.Handoff is { } handoff)
        {
            conversation.HandOff(handoff.Reason, handoff.Priority, now);
            db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.HandedOff, null,
                handoff.Note is { } note ? $"{handoff.Reason}: {note}" : handoff.Reason.ToString(),
                JsonSerializer.Serialize(new { reason = handoff.Reason.ToString(), priority = handoff.Priority.ToString(), slaDueAt = conversation.SlaDueAt }, Json), now));
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (result.Replies.Count > 0) outbound.Sent(claim.TenantId, claim.ConversationId);
        else notifier.Publish(new ConversationChanged(claim.TenantId, claim.ConversationId, "agent turn"));
        return true;
    }
}

/// <summary>
/// Runs due agent turns on every node. One loop claims while fewer than <see cref="AgentOptions.Workers"/> turns run on
/// this node, and each claimed turn runs on its own: a burst of customers is answered in parallel (each turn mostly waits
/// for the model), while an idle node asks for due turns once per poll rather than once per slot.
/// </summary>
public sealed class AgentWorker(AgentRunner runner, IOptionsMonitor<AgentOptions> options, ILogger<AgentWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var slots = Math.Max(0, options.CurrentValue.Workers);
        if (slots == 0) return;
        using var free = new SemaphoreSlim(slots, slots);
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await free.WaitAsync(stoppingToken);
                TurnClaim? claim;
                try
                {
                    claim = await runner.ClaimAsync(stoppingToken);
                }
                catch (Exception ex)
                {
                    free.Release(); // the wait at the end counts every slot
                    if (stoppingToken.IsCancellationRequested) break;
                    log.LogError(ex, "Claiming an agent turn failed; retrying shortly");
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                    continue;
                }
                if (claim is null)
                {
                    free.Release();
                    await Task.Delay(options.CurrentValue.PollMilliseconds, stoppingToken);
                    continue;
                }
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await runner.RunClaimedAsync(claim, stoppingToken);
                    }
                    catch (Exception ex)
                    {
                        // Cancelled at shutdown, or the give-back itself failed: the lease runs out and any node retries.
                        log.LogDebug(ex, "Agent turn for {ConversationId} stopped", claim.ConversationId);
                    }
                    finally
                    {
                        free.Release();
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Every slot back means every turn on this node has ended (cancelled turns end quickly).
            for (var i = 0; i < slots; i++) await free.WaitAsync(CancellationToken.None);
        }
    }
}

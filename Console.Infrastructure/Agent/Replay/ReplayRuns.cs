using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent.Replay;

/// <summary>A recent conversation the owner may replay.</summary>
public sealed record ReplayCandidate(Guid ConversationId, string ContactName, ChannelKind Channel, Guid StageId, string StageName,
    DateTimeOffset? LastMessageAt, int CustomerMessages);

/// <summary>Who asks, for the run's author and the audit trail.</summary>
public sealed record ReplayActor(Guid? UserId, string Name);

/// <summary>
/// Starts, lists and cancels replay evaluations, and keeps the judge's rubric. Starting plans every customer turn up
/// front (so progress is "done / total" from the first second); <see cref="ReplayWorker"/> answers them in the background.
/// </summary>
public sealed class ReplayRuns(ContextScopes scopes, AgentProfiles profiles, LlmGateway llm, ReplaySignal signal, IOptions<ReplayOptions> options,
    TimeProvider clock)
{
    private readonly ReplayOptions _options = options.Value;

    /// <summary>Recent conversations with at least one customer message, newest first.</summary>
    public async Task<IReadOnlyList<ReplayCandidate>> CandidatesAsync(Guid tenantId, ChannelKind? channel, Guid? stageId, int take, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var query =
            from c in db.Conversations
            join ch in db.Channels on c.ChannelId equals ch.Id
            join k in db.Contacts on c.ContactId equals k.Id
            join s in db.PipelineStages on k.StageId equals s.Id into stages
            from s in stages.DefaultIfEmpty()
            let customer = db.Messages.Count(m => m.ConversationId == c.Id && m.Sender == MessageSender.Contact)
            where customer > 0
            select new { c, ch.Kind, k.Name, k.StageId, StageName = s == null ? "" : s.Name, customer };
        if (channel is { } kind) query = query.Where(x => x.Kind == kind);
        if (stageId is { } stage) query = query.Where(x => x.StageId == stage);
        var rows = await query.OrderByDescending(x => x.c.LastMessageAt).Take(take).ToListAsync(ct);
        return rows.Select(x => new ReplayCandidate(x.c.Id, x.Name ?? "", x.Kind, x.StageId, x.StageName, x.c.LastMessageAt, x.customer)).ToList();
    }

    /// <summary>
    /// The system's pick: <paramref name="count"/> recent conversations spread evenly over the (channel, stage) groups,
    /// newest first within each, so one busy channel or stage does not crowd out the rest.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> PickAsync(Guid tenantId, int count, CancellationToken ct)
    {
        count = Math.Clamp(count, 1, _options.MaxConversations);
        var candidates = await CandidatesAsync(tenantId, null, null, 500, ct);
        var groups = candidates.GroupBy(c => (c.Channel, c.StageId)).Select(g => new Queue<ReplayCandidate>(g)).ToList();
        var picked = new List<Guid>();
        while (picked.Count < count && groups.Any(g => g.Count > 0))
            foreach (var g in groups.Where(g => g.Count > 0))
            {
                if (picked.Count == count) break;
                picked.Add(g.Dequeue().ConversationId);
            }
        return picked;
    }

    /// <summary>Plans the run for the draft as it is now. Every conversation must be this tenant's (else "replay.conversation").</summary>
    public async Task<ReplayRun> StartAsync(Guid tenantId, IReadOnlyCollection<Guid> conversationIds, bool judge, ReplayActor actor, CancellationToken ct)
    {
        var ids = conversationIds.Distinct().ToList();
        if (ids.Count == 0) throw new DomainException("replay.none", "Choose at least one conversation to replay.");
        if (ids.Count > _options.MaxConversations)
            throw new DomainException("replay.too_many", "A replay takes at most {0} conversations.", _options.MaxConversations);
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var limits = await Billing.PlanGates.LimitsAsync(db, tenantId, ct);
        Billing.PlanGates.RequireFeature(limits, PlanFeature.ReplayEvaluation);
        if (limits.ReplayEvaluationsPerMonth is not null)
        {
            var timeZone = await db.Tenants.Where(x => x.Id == tenantId).Select(x => x.TimeZone).SingleAsync(ct);
            var monthStart = Billing.BillingReads.PeriodStarts(timeZone, clock.GetUtcNow()).MonthStart;
            Billing.PlanGates.RequireRoom(limits, Billing.PlanLimitKind.ReplayEvaluations, await db.ReplayRuns.CountAsync(r => r.CreatedAt >= monthStart, ct));
        }
        // The tenant's query filter and row-level security hide every other tenant's conversation: it is simply not found.
        var conversations = await (
            from c in db.Conversations
            join ch in db.Channels on c.ChannelId equals ch.Id
            join k in db.Contacts on c.ContactId equals k.Id
            where ids.Contains(c.Id)
            select new { c.Id, ch.Kind, k.Name }).ToListAsync(ct);
        if (conversations.Count != ids.Count)
            throw new DomainException("replay.conversation", "That conversation was not found in this workspace.");

        var draft = await profiles.GetDraftAsync(db, tenantId, ct);
        var rubric = judge ? await RubricAsync(db, tenantId, ct) : null;
        var messages = await db.Messages.AsNoTracking()
            .Where(m => ids.Contains(m.ConversationId) && m.Sender != MessageSender.System && m.DeletedAt == null)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
            .Select(m => new { m.ConversationId, m.Sender, m.Body, m.Type, m.CreatedAt })
            .ToListAsync(ct);
        var planned = new List<(Guid Conversation, string Name, ChannelKind Kind, DateTimeOffset At, string Text, string? Live)>();
        foreach (var c in conversations.OrderBy(c => ids.IndexOf(c.Id)))
        {
            var lines = messages.Where(m => m.ConversationId == c.Id).Select(m => (m.Sender, Text: ReplayHistory.TextOf(m.Type, m.Body), m.CreatedAt)).ToList();
            foreach (var turn in ReplayHistory.CustomerTurns(lines).Take(_options.MaxTurnsPerConversation))
                planned.Add((c.Id, c.Name ?? "", c.Kind, turn.At, turn.Text, turn.LiveReply));
        }
        var run = ReplayRun.Start(tenantId, draft.Version, judge && llm.IsConfigured, rubric, conversations.Count, planned.Count, actor.Name,
            clock.GetUtcNow());
        db.ReplayRuns.Add(run);
        db.ReplayTurns.AddRange(planned.Select((p, i) => ReplayTurn.Plan(run, p.Conversation, i, p.Name, p.Kind, p.At, p.Text, p.Live)));
        db.AuditEntries.Add(AuditEntry.Create(tenantId, actor.UserId, actor.Name, "agent.replay.started", nameof(ReplayRun), run.Id.ToString(),
            $"draft v{draft.Version}, {conversations.Count} conversations, {planned.Count} turns", run.CreatedAt));
        await db.SaveChangesAsync(ct);
        signal.Wake();
        return run;
    }

    public async Task<bool> CancelAsync(Guid tenantId, Guid runId, ReplayActor actor, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var run = await work.Db.ReplayRuns.SingleOrDefaultAsync(r => r.Id == runId, ct)
            ?? throw new DomainException("replay.not_found", "That replay was not found.");
        if (!run.Cancel(clock.GetUtcNow())) return false;
        work.Db.AuditEntries.Add(AuditEntry.Create(tenantId, actor.UserId, actor.Name, "agent.replay.cancelled", nameof(ReplayRun), run.Id.ToString(),
            null, clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Latest first.</summary>
    public async Task<IReadOnlyList<ReplayRun>> ListAsync(Guid tenantId, int take, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.ReplayRuns.AsNoTracking().OrderByDescending(r => r.CreatedAt).Take(take).ToListAsync(ct);
    }

    public async Task<ReplayRun?> FindAsync(Guid tenantId, Guid runId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.ReplayRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
    }

    public async Task<IReadOnlyList<ReplayTurn>> TurnsAsync(Guid tenantId, Guid runId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.ReplayTurns.AsNoTracking().Where(t => t.RunId == runId).OrderBy(t => t.Position).ToListAsync(ct);
    }

    public async Task<string> RubricAsync(Guid tenantId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await RubricAsync(work.Db, tenantId, ct);
    }

    private static async Task<string> RubricAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var own = await db.ReplayRubrics.AsNoTracking().Where(r => r.TenantId == tenantId).Select(r => r.Text).SingleOrDefaultAsync(ct);
        if (own is not null) return own;
        var culture = await db.Tenants.Where(t => t.Id == tenantId).Select(t => t.DefaultCulture).SingleAsync(ct);
        return ReplayRubric.Default(culture);
    }

    public async Task SaveRubricAsync(Guid tenantId, string text, ReplayActor actor, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var now = clock.GetUtcNow();
        var rubric = await work.Db.ReplayRubrics.SingleOrDefaultAsync(r => r.TenantId == tenantId, ct);
        var before = rubric?.Text;
        if (rubric is null) work.Db.ReplayRubrics.Add(ReplayRubric.Create(tenantId, text, now));
        else rubric.Change(text, now);
        work.Db.AuditEntries.Add(AuditEntry.Change(tenantId, actor.UserId, actor.Name, "agent.replay.rubric", nameof(ReplayRubric), tenantId.ToString(),
            before, text.Trim(), now));
        await work.Db.SaveChangesAsync(ct);
    }
}

/// <summary>How a conversation splits into customer turns, and what it looked like before each.</summary>
public static class ReplayHistory
{
    public sealed record CustomerTurn(DateTimeOffset At, string Text, string? LiveReply);

    public static string TextOf(MessageType type, string? body) => string.IsNullOrWhiteSpace(body) ? $"[{type.ToString().ToLowerInvariant()}]" : body;

    /// <summary>
    /// Consecutive customer messages are one turn (the live agent answers a burst once, after its buffer); the live
    /// reply is the business's next message (bot or person), if any came before the customer wrote again.
    /// </summary>
    public static IEnumerable<CustomerTurn> CustomerTurns(IReadOnlyList<(MessageSender Sender, string Text, DateTimeOffset At)> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Sender != MessageSender.Contact) continue;
            var start = i;
            while (i + 1 < lines.Count && lines[i + 1].Sender == MessageSender.Contact) i++;
            var text = string.Join("\n", lines.Skip(start).Take(i - start + 1).Select(l => l.Text));
            var live = i + 1 < lines.Count ? lines[i + 1].Text : null;
            yield return new CustomerTurn(lines[start].At, text, live);
        }
    }
}

/// <summary>Wakes this node's replay worker when a run is started here (other nodes find it at their next poll).</summary>
public sealed class ReplaySignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);
}

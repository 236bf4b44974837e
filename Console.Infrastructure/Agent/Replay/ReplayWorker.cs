using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent.Replay;

/// <summary>
/// Answers the planned turns of replay runs on every node, one run at a time per node. A run is leased (a row lease,
/// like agent turns): the holder renews it with every turn it stores and lets it go when it stops, so a stopped or
/// crashed node's run is resumed by any node from its first unanswered turn, and no turn is stored twice.
/// Each turn goes through <see cref="AgentSandbox"/>: the draft, the real engine, mock tools, nothing sent or written.
/// </summary>
public sealed class ReplayWorker(ContextScopes scopes, AgentSandbox sandbox, ReplayJudge judge, ReplaySignal signal,
    IOptionsMonitor<ReplayOptions> options, TimeProvider clock, ILogger<ReplayWorker> log) : BackgroundService
{
    private const int HistoryLines = 40;

    private sealed record ClaimRow(Guid Id, Guid TenantId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var lease = Guid.NewGuid();
                var claim = await ClaimAsync(lease, stoppingToken);
                if (claim is null)
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(options.CurrentValue.PollSeconds), stoppingToken);
                    continue;
                }
                try
                {
                    await RunAsync(claim.TenantId, claim.Id, lease, stoppingToken);
                }
                finally
                {
                    // Stopping (a restart, a deploy): hand the run back at once instead of making the next node wait out the lease.
                    if (stoppingToken.IsCancellationRequested) await ReleaseAsync(claim, lease);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Replay worker failed; retrying shortly");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    private async Task<ClaimRow?> ClaimAsync(Guid lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var until = now.AddSeconds(options.CurrentValue.LeaseSeconds);
        await using var work = scopes.ForSystem("replay run claim");
        const string queued = nameof(ReplayRunStatus.Queued), running = nameof(ReplayRunStatus.Running);
        var rows = await work.Db.Database.SqlQuery<ClaimRow>($"""
            UPDATE replay_runs SET status = {running}, lease_id = {lease}, lease_until = {until}
            WHERE id = (
                SELECT id FROM replay_runs
                WHERE status = {queued} OR (status = {running} AND (lease_until IS NULL OR lease_until < {now}))
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, tenant_id
            """).ToListAsync(ct);
        return rows.SingleOrDefault();
    }

    private async Task ReleaseAsync(ClaimRow claim, Guid lease)
    {
        try
        {
            await using var work = scopes.ForTenant(claim.TenantId);
            await work.Db.ReplayRuns.Where(r => r.Id == claim.Id && r.LeaseId == lease)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Could not release replay run {RunId}; it is resumed when its lease runs out", claim.Id);
        }
    }

    private async Task RunAsync(Guid tenantId, Guid runId, Guid lease, CancellationToken ct)
    {
        while (true)
        {
            ReplayRun? run;
            ReplayTurn? turn;
            List<TurnMessage> history;
            await using (var work = scopes.ForTenant(tenantId))
            {
                run = await work.Db.ReplayRuns.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, ct);
                // Cancelled by the owner, or taken over by another node after this one stalled past the lease.
                if (run is null || run.Status != ReplayRunStatus.Running || run.LeaseId != lease) return;
                turn = await work.Db.ReplayTurns.AsNoTracking().Where(t => t.RunId == runId && t.DoneAt == null).OrderBy(t => t.Position)
                    .FirstOrDefaultAsync(ct);
                if (turn is null)
                {
                    await work.Db.ReplayRuns.Where(r => r.Id == runId && r.LeaseId == lease && r.Status == ReplayRunStatus.Running)
                        .ExecuteUpdateAsync(s => s
                            .SetProperty(r => r.Status, ReplayRunStatus.Completed)
                            .SetProperty(r => r.FinishedAt, clock.GetUtcNow())
                            .SetProperty(r => r.LeaseId, (Guid?)null)
                            .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null), ct);
                    return;
                }
                var at = turn.CustomerAt;
                var conversationId = turn.ConversationId;
                var lines = await work.Db.Messages.AsNoTracking()
                    .Where(m => m.ConversationId == conversationId && m.CreatedAt < at && m.Sender != MessageSender.System && m.DeletedAt == null)
                    .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(HistoryLines)
                    .Select(m => new { m.Sender, m.Type, m.Body, m.CreatedAt }).ToListAsync(ct);
                history = lines.AsEnumerable().Reverse().Select(m => new TurnMessage(m.Sender, ReplayHistory.TextOf(m.Type, m.Body), m.CreatedAt)).ToList();
            }
            await AnswerAsync(run, turn, history, lease, ct);
        }
    }

    /// <summary>The reply as the customer would have seen it: buttons and lists as numbered options, files by name.</summary>
    private static string Render(OutboundContent c) => c switch
    {
        { Text: { } t } => t,
        { Buttons: { } b } => NumberedText.Render(b),
        { List: { } l } => NumberedText.Render(l),
        { Link: { } k } => NumberedText.Render(k),
        { Media: { } m } => $"📎 {m.Caption ?? m.FileName ?? m.Link}",
        _ => "",
    };

    private async Task AnswerAsync(ReplayRun run, ReplayTurn planned, List<TurnMessage> history, Guid lease, CancellationToken ct)
    {
        string? draftReply = null, error = null, model = null;
        var offline = false;
        long input = 0, output = 0;
        decimal cost = 0;
        var calls = new List<ReplayToolCall>();
        try
        {
            var result = await sandbox.RunAsync(run.TenantId, history, planned.CustomerText, planned.Channel, liveTools: false, ct,
                at: planned.CustomerAt, feature: LlmFeature.Replay, draftSettings: run.DraftSettings);
            draftReply = string.Join("\n\n", result.Replies.Select(Render).Where(t => t.Length > 0));
            if (draftReply.Length == 0) draftReply = null;
            calls.AddRange(result.ToolCalls.Select(c => new ReplayToolCall(c.Name, c.Input, c.Output, c.Error)));
            if (result.Handoff is { } handoff) calls.Add(new ReplayToolCall("handoff", handoff.Reason.ToString(), handoff.Note, null));
            error = result.Error?.English;
            model = result.Model;
            offline = result.Offline;
            input = result.Usage?.InputTokenCount ?? 0;
            output = result.Usage?.OutputTokenCount ?? 0;
            cost = result.Cost;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // One failed turn is shown as failed; the rest of the run goes on.
            log.LogWarning(ex, "Replay turn {TurnId} failed", planned.Id);
            error = ex.Message;
        }

        ReplayJudgement? verdict = null;
        if (run.Judge && error is null && draftReply is not null && planned.LiveReply is not null)
            verdict = await judge.JudgeAsync(run.TenantId, run.Rubric ?? "", history, planned.CustomerText, planned.LiveReply, draftReply, ct);

        await using var work = scopes.ForTenant(run.TenantId);
        await using var transaction = await work.Db.Database.BeginTransactionAsync(ct);
        var totalIn = input + (verdict?.InputTokens ?? 0);
        var totalOut = output + (verdict?.OutputTokens ?? 0);
        var totalCost = cost + (verdict?.Cost ?? 0);
        var better = verdict?.Verdict == ReplayVerdict.Better ? 1 : 0;
        var same = verdict?.Verdict == ReplayVerdict.Same ? 1 : 0;
        var worse = verdict?.Verdict == ReplayVerdict.Worse ? 1 : 0;
        var until = clock.GetUtcNow().AddSeconds(options.CurrentValue.LeaseSeconds);
        // Progress, totals and the lease renewal in one conditional write: a cancelled run or a lost lease stores nothing.
        var held = await work.Db.ReplayRuns.Where(r => r.Id == run.Id && r.LeaseId == lease && r.Status == ReplayRunStatus.Running)
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.DoneTurns, r => r.DoneTurns + 1)
                .SetProperty(r => r.Better, r => r.Better + better)
                .SetProperty(r => r.Same, r => r.Same + same)
                .SetProperty(r => r.Worse, r => r.Worse + worse)
                .SetProperty(r => r.InputTokens, r => r.InputTokens + totalIn)
                .SetProperty(r => r.OutputTokens, r => r.OutputTokens + totalOut)
                .SetProperty(r => r.Cost, r => r.Cost + totalCost)
                .SetProperty(r => r.LeaseUntil, until), ct);
        if (held == 0) return;
        var turn = await work.Db.ReplayTurns.SingleAsync(t => t.Id == planned.Id, ct);
        if (turn.DoneAt is not null) return;
        turn.Complete(draftReply, calls, model, offline, input, output, cost, error, clock.GetUtcNow());
        if (verdict is { Verdict: { } v }) turn.Judged(v, verdict.Why, verdict.InputTokens, verdict.OutputTokens, verdict.Cost);
        await work.Db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
    }
}

public sealed record ReplayJudgement(ReplayVerdict? Verdict, string Why, long InputTokens, long OutputTokens, decimal Cost);

/// <summary>
/// The optional LLM judge: compares the draft's reply with the live one under the owner's rubric, on the platform's
/// configured model, and counts its tokens under the Replay feature. A judge that fails or answers nonsense leaves the
/// turn without a verdict (said in the why), never fails the run.
/// </summary>
public sealed class ReplayJudge(LlmGateway llm, ILogger<ReplayJudge> log)
{
    public async Task<ReplayJudgement?> JudgeAsync(Guid tenantId, string rubric, IReadOnlyList<TurnMessage> history, string customer,
        string live, string draft, CancellationToken ct)
    {
        if (!llm.IsConfigured) return null;
        var model = llm.DefaultModel;
        var transcript = string.Join("\n", history.TakeLast(12).Select(m => $"{m.Sender}: {m.Text}"));
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System,
                "You evaluate a business's customer-service assistant. Compare the DRAFT reply with the LIVE reply the customer " +
                "actually got, using this rubric:\n" + rubric + "\n\n" +
                "Answer only with JSON: {\"verdict\": \"better\" | \"same\" | \"worse\", \"why\": \"one or two sentences\"}. " +
                "The verdict is about the DRAFT compared with the LIVE reply. Write \"why\" in the language of the rubric."),
            new(ChatRole.User, $"Conversation so far:\n{transcript}\n\nCustomer: {customer}\n\nLIVE reply: {live}\n\nDRAFT reply: {draft}"),
        };
        try
        {
            var response = await llm.For(model).GetResponseAsync(messages,
                new ChatOptions { Temperature = 0, MaxOutputTokens = 300, ResponseFormat = ChatResponseFormat.Json }, ct);
            var inTokens = response.Usage?.InputTokenCount ?? 0;
            var outTokens = response.Usage?.OutputTokenCount ?? 0;
            await llm.RecordUsageAsync(tenantId, null, model, LlmFeature.Replay, response.Usage, ct);
            var (verdict, why) = Parse(response.Text);
            return new ReplayJudgement(verdict, why, inTokens, outTokens, llm.EstimateCost(model, inTokens, outTokens));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "The replay judge failed for tenant {TenantId}", tenantId);
            return null;
        }
    }

    public static (ReplayVerdict? Verdict, string Why) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, "");
        var start = text.IndexOf('{');
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start) return (null, text.Trim());
        try
        {
            using var doc = JsonDocument.Parse(text[start..(end + 1)]);
            var root = doc.RootElement;
            var verdict = root.TryGetProperty("verdict", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var why = root.TryGetProperty("why", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() ?? "" : "";
            return (verdict?.Trim().ToLowerInvariant() switch
            {
                "better" or "mejor" => ReplayVerdict.Better,
                "same" or "igual" => ReplayVerdict.Same,
                "worse" or "peor" => ReplayVerdict.Worse,
                _ => null,
            }, why);
        }
        catch (JsonException)
        {
            return (null, text.Trim());
        }
    }
}

using OperatorConsole.Infrastructure.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// Runs agent turns exactly once, in four pieces: <see cref="AgentTurnClaims"/> leases a due turn (SKIP LOCKED, so
/// nodes never share one), <see cref="TurnPreparer"/> loads it and decides whether it runs, the <see cref="AgentEngine"/>
/// decides the reply without holding a connection, and <see cref="TurnCommitter"/> writes the outcome only if the turn
/// is still this runner's. Each turn's timing goes to <see cref="ConsoleTelemetry"/>.
/// </summary>
public sealed class AgentRunner(
    AgentTurnClaims claims,
    TurnPreparer preparer,
    AgentEngine engine,
    TurnCommitter committer,
    ContextScopes scopes,
    LeadAnalyzer analyzer,
    Handoffs handoffs,
    ConsoleTelemetry telemetry,
    PublicLinks publicLinks,
    TimeProvider clock,
    ILogger<AgentRunner> log,
    IOptionsMonitor<AppointmentLimitOptions> appointmentLimits)
{
    public Task<TurnClaim?> ClaimAsync(CancellationToken ct) => claims.ClaimAsync(ct);

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
            telemetry.TurnFailed();
            // In a database outage the give-back fails too: it is retried until the database is back (this process knows
            // the turn is not done), rather than the turn waiting out its lease (Agent:LeaseSeconds, minutes).
            var dueAgainAt = clock.GetUtcNow().AddSeconds(Math.Min(30, 2 * claim.Attempts));
            await DatabaseOutage.WaitOutAsync($"Giving back the agent turn of {claim.ConversationId}",
                _ => claims.ReleaseAsync(claim, dueAgainAt, CancellationToken.None), log, ct);
        }
    }

    /// <summary>
    /// The turn answers customer messages that came in through webhooks: its span links to the processing spans that
    /// stored the latest of them (several deliveries can make one turn, so links rather than one parent).
    /// </summary>
    private static async Task LinkInboundAsync(System.Diagnostics.Activity activity, TurnClaim claim, Data.AppDbContext db, CancellationToken ct)
    {
        var parents = await db.Database.SqlQuery<string>($"""
            SELECT DISTINCT trace_parent AS "Value" FROM (
                SELECT trace_parent FROM messages
                WHERE conversation_id = {claim.ConversationId} AND direction = {nameof(Domain.Conversations.MessageDirection.Inbound)}
                ORDER BY created_at DESC LIMIT 10) recent
            WHERE trace_parent IS NOT NULL
            """).ToListAsync(ct);
        foreach (var parent in parents)
            if (System.Diagnostics.ActivityContext.TryParse(parent, null, out var context)) activity.AddLink(new System.Diagnostics.ActivityLink(context));
    }

    public async Task RunAsync(TurnClaim claim, CancellationToken ct)
    {
        using var activity = ConsoleTelemetry.Source.StartActivity("agent.turn");
        activity?.SetTag("console.tenant_id", claim.TenantId);
        activity?.SetTag("console.conversation_id", claim.ConversationId);
        var timing = telemetry.Start();

        // The prepare's reads share one connection: each pooled open would pay the tenant settings' round trip again.
        // It goes back to the pool while the model thinks (seconds, and many turns at once) and is taken again to commit.
        await using var work = scopes.ForTenant(claim.TenantId);
        TurnPlan? plan;
        using (ConsoleTelemetry.Source.StartActivity("agent.prepare"))
        {
            await work.Db.Database.OpenConnectionAsync(ct);
            plan = await preparer.PrepareAsync(claim, work, ct);
            if (activity is not null) await LinkInboundAsync(activity, claim, work.Db, ct);
            await work.Db.Database.CloseConnectionAsync();
        }
        if (plan is null)
        {
            timing.Finish(TurnTiming.Skipped);
            return;
        }
        timing.Prepared();

        TurnResult result;
        using (ConsoleTelemetry.Source.StartActivity("agent.decide"))
        {
            result = plan.Decided ?? await DecideAsync(claim, plan, ct);
        }
        timing.Decided();

        bool committed;
        using (ConsoleTelemetry.Source.StartActivity("agent.commit"))
        {
            committed = await committer.CommitAsync(claim, result, plan.Channel, work.Db, ct, billable: plan.Decided is null);
        }
        var figures = timing.Finish(committed ? TurnTiming.Answered : TurnTiming.Dropped);
        // The same figures as the metrics, per turn: what bench/agent.sh reads.
        log.LogInformation("Agent turn {ConversationId} {Outcome} in {TotalMs:0.0} ms, model {ModelMs:0.0} ms, overhead {OverheadMs:0.0} ms " +
                           "(prepare {PrepareMs:0.0}, decide {DecideMs:0.0}, commit {CommitMs:0.0})",
            claim.ConversationId, committed ? TurnTiming.Answered : TurnTiming.Dropped, figures.Total.TotalMilliseconds,
            figures.Model.TotalMilliseconds, figures.Overhead.TotalMilliseconds, figures.Prepare.TotalMilliseconds,
            figures.Decide.TotalMilliseconds, figures.Commit.TotalMilliseconds);
        if (!committed) return;
        if (result.Handoff is { } handoff) await handoffs.AfterHandoffAsync(claim.TenantId, claim.ConversationId, handoff, ct);
        // Without a model the analysis runs by rules (OfflineCopilot): the lead moves after every turn either way.
        else if (result.Error is null && plan.Input is { } input)
            await analyzer.AnalyzeAsync(claim.TenantId, claim.ConversationId, input.Profile, ct);
    }

    private Task<TurnResult> DecideAsync(TurnClaim claim, TurnPlan plan, CancellationToken ct)
    {
        var input = plan.Input!;
        var effects = new LiveTurnEffects(scopes, claim.TenantId, plan.ContactId, claim.ConversationId, input.Profile,
            publicLinks.Base.AbsoluteUri, clock, appointmentLimits.CurrentValue.MaxOpenPerContact);
        return engine.RunAsync(input, effects, plan.Tools, ct);
    }

    /// <summary>The tenant's enabled webhook tools (the context's tenant), as functions the model can call.</summary>
    public static async Task<IReadOnlyList<AIFunction>> CustomToolsAsync(AppDbContext db, Tools.CustomToolRunner runner, bool forceMock,
        Tools.ToolCallContext context, CancellationToken ct)
    {
        var tools = await db.AgentTools.AsNoTracking().Where(t => t.Enabled).OrderBy(t => t.Name).ToListAsync(ct);
        return tools.Select(t => (AIFunction)new Tools.CustomToolFunction(t, runner, forceMock, context)).ToList();
    }
}

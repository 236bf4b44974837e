using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Agent;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Agent.Replay;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <param name="ConversationIds">The conversations to replay; or leave them out and give <paramref name="Pick"/>.</param>
/// <param name="Pick">Let the system pick this many recent conversations across stages and channels.</param>
public sealed record StartReplayRequest(IReadOnlyList<Guid>? ConversationIds, int? Pick, bool Judge = false);

public sealed record ReplayRunDto(Guid Id, int DraftVersion, string Status, bool Judge, int Conversations, int TotalTurns, int DoneTurns,
    int Better, int Same, int Worse, long InputTokens, long OutputTokens, decimal Cost, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt);

public sealed record ReplayTurnDto(Guid ConversationId, int Position, string ContactName, string Channel, DateTimeOffset CustomerAt,
    string CustomerText, string? LiveReply, string? DraftReply, IReadOnlyList<ReplayToolCall> ToolCalls, string? Model, bool Offline,
    long InputTokens, long OutputTokens, decimal Cost, string? Verdict, string? VerdictWhy, string? Error, bool Done);

public sealed record ReplayRunDetailDto(ReplayRunDto Run, IReadOnlyList<ReplayTurnDto> Turns);

public sealed record ReplayRubricDto(string Text);

public static class ReplayApi
{
    public static RouteGroupBuilder MapReplayApi(this RouteGroupBuilder api)
    {
        var replays = api.MapGroup("/tenants/{t}/agent/replays").WithTags("Agent");
        replays.MapGet("/", List).WithSummary("Replay evaluations of the draft, latest first.");
        replays.MapPost("/", Start).WithSummary("Replay the draft against past conversations in the background (nothing is sent).");
        replays.MapGet("/{id:guid}", Get).WithSummary("A replay with its turns: live reply and draft reply side by side.");
        replays.MapPost("/{id:guid}/cancel", Cancel).WithSummary("Stop a running replay before its next turn.");
        var rubric = api.MapGroup("/tenants/{t}/agent/replay-rubric").WithTags("Agent");
        rubric.MapGet("/", GetRubric).WithSummary("What the replay judge weighs (the default until the owner edits it).");
        rubric.MapPut("/", PutRubric).WithSummary("Change the replay judge's rubric.");
        return api;
    }

    public static ReplayRunDto ToDto(ReplayRun r) => new(r.Id, r.DraftVersion, r.Status.ToString(), r.Judge, r.ConversationCount, r.TotalTurns,
        r.DoneTurns, r.Better, r.Same, r.Worse, r.InputTokens, r.OutputTokens, r.Cost, r.CreatedBy, r.CreatedAt, r.FinishedAt);

    private static ReplayTurnDto ToDto(ReplayTurn t) => new(t.ConversationId, t.Position, t.ContactName, t.Channel.ToString(), t.CustomerAt,
        t.CustomerText, t.LiveReply, t.DraftReply, t.ToolCalls, t.Model, t.Offline, t.InputTokens, t.OutputTokens, t.Cost,
        t.Verdict?.ToString().ToLowerInvariant(), t.VerdictWhy, t.Error, t.DoneAt is not null);

    private static ReplayActor Actor(ClaimsPrincipal caller) => new(caller.GetUserId(), caller.Identity?.Name ?? "api");

    private static async Task<Results<Ok<List<ReplayRunDto>>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller, ContextScopes scopes,
        ReplayRuns replays, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok((await replays.ListAsync(tenant!.Id, 50, ct)).Select(ToDto).ToList());
    }

    private static async Task<Results<Accepted<ReplayRunDto>, ProblemHttpResult>> Start(string t, StartReplayRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, ReplayRuns replays, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var ids = body.ConversationIds is { Count: > 0 } chosen ? chosen
            : body.Pick is { } n ? await replays.PickAsync(tenant!.Id, n, ct) : [];
        try
        {
            var run = await replays.StartAsync(tenant!.Id, ids, body.Judge, Actor(caller), ct);
            return TypedResults.Accepted($"/api/v1/tenants/{t}/agent/replays/{run.Id}", ToDto(run));
        }
        catch (DomainException ex) when (ex.Code == "replay.conversation")
        {
            return ApiProblems.Of(StatusCodes.Status404NotFound, ex.Code);
        }
        catch (DomainException ex) when (Infrastructure.Billing.PlanGates.RequiredPlan(ex) is null) // plan refusals: 402 from the handler
        {
            return ApiProblems.Of(StatusCodes.Status400BadRequest, ex.Code, [.. ex.Args]);
        }
    }

    private static async Task<Results<Ok<ReplayRunDetailDto>, ProblemHttpResult>> Get(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        ReplayRuns replays, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (await replays.FindAsync(tenant!.Id, id, ct) is not { } run) return ApiProblems.Of(StatusCodes.Status404NotFound, "replay.not_found");
        var turns = await replays.TurnsAsync(tenant.Id, id, ct);
        return TypedResults.Ok(new ReplayRunDetailDto(ToDto(run), turns.Select(ToDto).ToList()));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Cancel(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        ReplayRuns replays, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        try
        {
            await replays.CancelAsync(tenant!.Id, id, Actor(caller), ct);
            return TypedResults.NoContent();
        }
        catch (DomainException ex) when (ex.Code == "replay.not_found")
        {
            return ApiProblems.Of(StatusCodes.Status404NotFound, ex.Code);
        }
    }

    private static async Task<Results<Ok<ReplayRubricDto>, ProblemHttpResult>> GetRubric(string t, ClaimsPrincipal caller, ContextScopes scopes,
        ReplayRuns replays, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(new ReplayRubricDto(await replays.RubricAsync(tenant!.Id, ct)));
    }

    private static async Task<Results<Ok<ReplayRubricDto>, ProblemHttpResult>> PutRubric(string t, ReplayRubricDto body, ClaimsPrincipal caller,
        ContextScopes scopes, ReplayRuns replays, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        try
        {
            await replays.SaveRubricAsync(tenant!.Id, body.Text ?? "", Actor(caller), ct);
        }
        catch (DomainException ex)
        {
            return ApiProblems.Of(StatusCodes.Status400BadRequest, ex.Code, [.. ex.Args]);
        }
        return TypedResults.Ok(new ReplayRubricDto(await replays.RubricAsync(tenant.Id, ct)));
    }
}

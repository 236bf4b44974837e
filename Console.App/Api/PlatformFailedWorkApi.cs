using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Platform;

namespace OperatorConsole.App.Api;

public sealed record FailedWorkItemDto(string Kind, Guid Id, Guid? TenantId, string Reason, int Attempts, DateTimeOffset? LastAttemptAt);
public sealed record FailedWorkListDto(IReadOnlyList<FailedWorkItemDto> Items);
public sealed record FailedWorkActionDto(string Kind, Guid Id, string Outcome);

/// <summary>
/// Failed work across the platform (platform key only), through the same <see cref="FailedWork"/> service as the command
/// center's page: list, retry, discard; every retry and discard is audited.
/// </summary>
public static class PlatformFailedWorkApi
{
    /// <summary>Mapped inside the platform group (<see cref="PlatformApi"/>), whose filter admits only the platform key.</summary>
    public static RouteGroupBuilder MapPlatformFailedWorkApi(this RouteGroupBuilder platform)
    {
        var failed = platform.MapGroup("/failed-work");
        failed.MapGet("/", List)
            .WithSummary("Quarantined work of every tenant, newest first: ?kind=webhook|turn|send|outbound_webhook|job|import (all when omitted) → {items: [{kind, id, tenantId, reason, attempts, lastAttemptAt}]}.");
        failed.MapPost("/{kind}/{id:guid}/retry", Retry)
            .WithSummary("Put one item back on its real path (202; done once however often it is called). Audited.");
        failed.MapPost("/{kind}/{id:guid}/discard", Discard)
            .WithSummary("Take one item off the list; the failed record is kept (202). Audited.");
        return platform;
    }

    private static async Task<Results<Ok<FailedWorkListDto>, ProblemHttpResult>> List(string? kind, ClaimsPrincipal caller, FailedWork failedWork,
        CancellationToken ct)
    {
        if (kind is not null && !FailedWorkKinds.IsKnown(kind)) return UnknownKind(kind);
        var items = await failedWork.ListAsync(PlatformActor.PlatformKey, kind, ct);
        return TypedResults.Ok(new FailedWorkListDto(items.Select(i => new FailedWorkItemDto(i.Kind, i.Id, i.TenantId, i.Reason, i.Attempts, i.LastAttemptAt))
            .ToList()));
    }

    private static Task<Results<Accepted<FailedWorkActionDto>, ProblemHttpResult>> Retry(string kind, Guid id, ClaimsPrincipal caller,
        FailedWork failedWork, CancellationToken ct) =>
        ActAsync(kind, id, caller, ct, (actor, k, i, c) => failedWork.RetryAsync(actor, k, i, c));

    private static Task<Results<Accepted<FailedWorkActionDto>, ProblemHttpResult>> Discard(string kind, Guid id, ClaimsPrincipal caller,
        FailedWork failedWork, CancellationToken ct) =>
        ActAsync(kind, id, caller, ct, (actor, k, i, c) => failedWork.DiscardAsync(actor, k, i, c));

    private static async Task<Results<Accepted<FailedWorkActionDto>, ProblemHttpResult>> ActAsync(string kind, Guid id, ClaimsPrincipal caller,
        CancellationToken ct, Func<PlatformActor, string, Guid, CancellationToken, Task<FailedWorkOutcome>> act)
    {
        if (!FailedWorkKinds.IsKnown(kind)) return UnknownKind(kind);
        var outcome = await act(PlatformActor.PlatformKey, kind, id, ct);
        if (outcome == FailedWorkOutcome.NotFound) return ApiProblems.Of(StatusCodes.Status404NotFound, FailedWork.NotFoundCode, kind, id);
        return TypedResults.Accepted($"/api/v1/platform/failed-work?kind={kind}",
            new FailedWorkActionDto(kind, id, outcome == FailedWorkOutcome.Done ? "done" : "unchanged"));
    }

    private static ProblemHttpResult UnknownKind(string kind) =>
        ApiProblems.Of(StatusCodes.Status400BadRequest, FailedWork.KindCode, kind, string.Join(", ", FailedWorkKinds.All));
}

using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>POST body: a message to send at <see cref="At"/> (an ISO 8601 instant with its offset).</summary>
public sealed record ScheduleRequest(DateTimeOffset? At, string? Text);

public sealed record ScheduledItemResponse(Guid Id, string Kind, DateTimeOffset At, string? Text, string Status, string? Outcome,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? SettledAt);

public sealed record ScheduledItemsResponse(IReadOnlyList<ScheduledItemResponse> Items);

/// <summary>What is set to happen at a time in one conversation (messages, reminders, follow-ups, appointment reminders).</summary>
public static class ScheduledApi
{
    public static RouteGroupBuilder MapScheduledApi(this RouteGroupBuilder api)
    {
        var scheduled = api.MapGroup("/tenants/{t}/conversations/{id:guid}/scheduled").WithTags("Conversations");
        scheduled.MapGet("/", List).WithSummary("Scheduled items of the conversation {items: [{id, kind, at, text?, status}]}, soonest first.");
        scheduled.MapPost("/", Create).WithSummary("Schedule a message {at, text} → 201 {id, …}; a time in the past or beyond a year → 422.");
        scheduled.MapDelete("/{sid:guid}", Cancel).WithSummary("Cancel a pending item → 204; one that already ran → 422.");
        return api;
    }

    private static string Kind(ScheduledItemKind kind) => kind switch
    {
        ScheduledItemKind.Message => "message",
        ScheduledItemKind.Reminder => "reminder",
        ScheduledItemKind.FollowUp => "follow_up",
        _ => "appointment_reminder",
    };

    private static ScheduledItemResponse ToResponse(ScheduledItemRow r) =>
        new(r.Id, Kind(r.Kind), r.At, r.Text, r.Status.ToString().ToLowerInvariant(), r.Outcome, r.SettledAt);

    private static async Task<Results<Ok<ScheduledItemsResponse>, ProblemHttpResult>> List(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, ScheduledItems items, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var rows = await items.ListAsync(InboxActor.Integration(tenant!.Id), id, ct);
        return TypedResults.Ok(new ScheduledItemsResponse(rows.Select(ToResponse).ToList()));
    }

    private static async Task<Results<Created<ScheduledItemResponse>, ProblemHttpResult>> Create(string t, Guid id, ScheduleRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, ScheduledItems items, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (body.At is not { } at) return ApiProblems.Of(StatusCodes.Status400BadRequest, "scheduled.at_required");
        var row = await items.ScheduleAsync(InboxActor.Integration(tenant!.Id), id, ScheduledItemKind.Message, at, body.Text, ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/conversations/{id}/scheduled/{row.Id}", ToResponse(row));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Cancel(string t, Guid id, Guid sid, ClaimsPrincipal caller,
        ContextScopes scopes, ScheduledItems items, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await items.CancelAsync(InboxActor.Integration(tenant!.Id), id, sid, ct);
        return TypedResults.NoContent();
    }
}

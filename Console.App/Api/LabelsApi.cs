using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record LabelRequest(string? Name, string? Color);
public sealed record LabelResponse(Guid Id, string Name, string Color);
public sealed record ConversationLabelsRequest(IReadOnlyList<Guid>? LabelIds);
public sealed record ConversationLabelsResponse(IReadOnlyList<LabelResponse> Items);

/// <summary>The tenant's conversation labels, and the labels on one conversation.</summary>
public static class LabelsApi
{
    public static RouteGroupBuilder MapLabelsApi(this RouteGroupBuilder api)
    {
        var labels = api.MapGroup("/tenants/{t}/labels").WithTags("Labels");
        labels.MapGet("/", List).WithSummary("The tenant's conversation labels {id, name, color}.");
        labels.MapPost("/", Create).WithSummary("Define a label {name, color?: \"#rrggbb\"} → 201 {id, name, color}; a name in use → 409.");
        labels.MapDelete("/{id:guid}", Delete).WithSummary("Delete a label; it comes off every conversation.");

        var conversation = api.MapGroup("/tenants/{t}/conversations/{id:guid}/labels").WithTags("Labels");
        conversation.MapGet("/", OfConversation).WithSummary("The labels on a conversation.");
        conversation.MapPut("/", Replace).WithSummary("Replace the conversation's labels with {labelIds}; an id that is not one of this tenant's labels → 404.");
        return api;
    }

    private static LabelResponse ToResponse(LabelRow l) => new(l.Id, l.Name, l.Color);

    private static async Task<Results<Ok<List<LabelResponse>>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller, ContextScopes scopes,
        LabelCommands labels, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok((await labels.ListAsync(tenant!.Id, ct)).Select(ToResponse).ToList());
    }

    private static async Task<Results<Created<LabelResponse>, ProblemHttpResult>> Create(string t, LabelRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, LabelCommands labels, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var label = await labels.CreateAsync(InboxActor.Integration(tenant!.Id), body.Name ?? "", body.Color, ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/labels/{label.Id}", ToResponse(label));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        LabelCommands labels, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await labels.DeleteAsync(InboxActor.Integration(tenant!.Id), id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ConversationLabelsResponse>, ProblemHttpResult>> OfConversation(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, InboxQueries inbox, LabelCommands labels, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!await inbox.ConversationExistsAsync(tenant!.Id, id, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: "No such conversation in this workspace.");
        return TypedResults.Ok(new ConversationLabelsResponse((await labels.OfConversationAsync(tenant.Id, id, ct)).Select(ToResponse).ToList()));
    }

    private static async Task<Results<Ok<ConversationLabelsResponse>, ProblemHttpResult>> Replace(string t, Guid id, ConversationLabelsRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, LabelCommands labels, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await labels.ReplaceAsync(InboxActor.Integration(tenant!.Id), id, body.LabelIds ?? [], ct);
        return TypedResults.Ok(new ConversationLabelsResponse((await labels.OfConversationAsync(tenant.Id, id, ct)).Select(ToResponse).ToList()));
    }
}

using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Infrastructure.FollowUps;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>PUT body; a missing list keeps the defaults (1 h, 23 h, 3 days; Spanish and English opt-out words).</summary>
public sealed record FollowUpPolicyRequest(bool Enabled, IReadOnlyList<int>? AfterMinutes, string? TemplateName, string? TemplateLanguage,
    IReadOnlyList<string>? OptOutWords);

/// <summary>The workspace's follow-up policy and the contact's opt-out flag.</summary>
public static class FollowUpsApi
{
    public static RouteGroupBuilder MapFollowUpsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/tenants/{t}/follow-ups").WithTags("Follow-ups");
        group.MapGet("/", Get).WithSummary("The follow-up policy {enabled, afterMinutes, templateName?, templateLanguage?, optOutWords}.");
        group.MapPut("/", Put).WithSummary("Replace the follow-up policy; afterMinutes are the gaps of customer silence before each attempt.");
        api.MapDelete("/tenants/{t}/contacts/{id:guid}/opt-out", ClearOptOut).WithTags("Contacts")
            .WithSummary("The customer wants automated messages again (they said so to a person) → 204.");
        return api;
    }

    private static async Task<Results<Ok<FollowUpPolicyView>, ProblemHttpResult>> Get(string t, ClaimsPrincipal caller, ContextScopes scopes,
        FollowUpSettings settings, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(await settings.GetAsync(tenant!.Id, ct));
    }

    private static async Task<Results<Ok<FollowUpPolicyView>, ProblemHttpResult>> Put(string t, FollowUpPolicyRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, FollowUpSettings settings, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var wanted = new FollowUpPolicyView(body.Enabled, body.AfterMinutes!, body.TemplateName, body.TemplateLanguage, body.OptOutWords!);
        return TypedResults.Ok(await settings.UpdateAsync(tenant!.Id, wanted, ct));
    }

    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> ClearOptOut(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, FollowUpSettings settings, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await settings.ClearOptOutAsync(tenant!.Id, id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }
}

using System.Globalization;
using System.Security.Claims;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Team;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record MemberResponse(Guid UserId, string Name, string Email, string Role, IReadOnlyList<Guid> ChannelIds, int Capacity, string Presence);
public sealed record MemberList(IReadOnlyList<MemberResponse> Items);
public sealed record UpdateMemberRequest(string? Role, IReadOnlyList<Guid>? ChannelIds, int? Capacity);
public sealed record InviteRequest(string? Email, string? Role);
public sealed record CreatedInvitation(Guid Id);
public sealed record InvitationResponse(Guid Id, string Email, string Role, string State, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string InvitedBy);
public sealed record InvitationList(IReadOnlyList<InvitationResponse> Items);
public sealed record AuditItem(DateTimeOffset At, string Actor, string Action, string? Target, string? Before, string? After);
public sealed record AuditPage(IReadOnlyList<AuditItem> Items, int Total);

/// <summary>
/// The team over REST (admin-scoped keys): members, invitations and the audit log. Refusals come from
/// <see cref="TeamService"/> as coded exceptions (409 <c>member.last_owner</c>, 404 <c>*.not_found</c>).
/// </summary>
public static class TeamApi
{
    public static RouteGroupBuilder MapTeamApi(this RouteGroupBuilder api)
    {
        var team = api.MapGroup("/tenants/{t}").WithTags("Team");
        team.MapGet("/members", Members).WithSummary("The workspace's members with role, channel access (empty = every channel) and capacity.");
        team.MapPatch("/members/{userId:guid}", UpdateMember)
            .WithSummary("Change a member {role?, channelIds?, capacity?}; demoting the last owner is refused with 409 member.last_owner.");
        team.MapDelete("/members/{userId:guid}", RemoveMember)
            .WithSummary("Remove a member: their open conversations return to the queue and are auto-assigned; the last owner cannot be removed (409).");
        team.MapGet("/invitations", Invitations).WithSummary("Pending invitations.");
        team.MapPost("/invitations", Invite).WithSummary("Invite {email, role: Owner|Admin|Agent}: a single-use link valid 7 days is e-mailed.");
        team.MapDelete("/invitations/{id:guid}", Revoke).WithSummary("Revoke an invitation: its link stops working.");
        team.MapGet("/audit", Audit).WithSummary("The audit log, newest first: ?from=&to= (ISO dates), ?q= (action, actor, target), ?skip=&take=.");
        return api;
    }

    /// <summary>The audit log as CSV for signed-in owners, with the page's filters, streamed row by row.</summary>
    public static WebApplication MapTeamDownloads(this WebApplication app)
    {
        app.MapGet("/team/audit.csv", async (DateTimeOffset? from, DateTimeOffset? to, string? actor, string? q, HttpContext http,
                AuditLog audit, CancellationToken ct) =>
            {
                if (http.User.GetTenantRole() != TenantRole.Owner || http.User.GetTenantId() is not { } tenantId) return Results.Forbid();
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{DateTime.UtcNow:yyyyMMdd}.csv\"";
                // A byte order mark first, so Excel opens the accents right; each row is flushed as it is read.
                await http.Response.Body.WriteAsync(System.Text.Encoding.UTF8.Preamble.ToArray(), ct);
                await using var csv = CsvWriter.Create(http.Response.Body, null, leaveOpen: true);
                csv.WriteRecord(["at", "actor", "action", "target", "before", "after"]);
                await foreach (var row in audit.StreamAsync(tenantId, new AuditFilter(from, to, actor, q), ct))
                {
                    csv.WriteRecord([row.At.ToString("o", CultureInfo.InvariantCulture), row.Actor, row.Action, row.Target ?? "", row.Before ?? "",
                        row.After ?? ""]);
                    await csv.FlushAsync(ct);
                }
                return Results.Empty;
            })
            .RequireAuthorization(Policies.Manager).ExcludeFromDescription();
        return app;
    }

    internal static TeamActor ActorFor(Guid tenantId, ClaimsPrincipal caller) =>
        new(tenantId, null, caller.Identity?.Name ?? "api", caller.IsPlatformApiCaller() ? TenantRole.Owner : TenantRole.Admin);

    private static MemberResponse ToResponse(MemberView m) =>
        new(m.UserId, m.Name, m.Email, m.Role.ToString(), m.ChannelIds, m.Capacity, m.Presence.ToString());

    private static async Task<Results<Ok<MemberList>, ProblemHttpResult>> Members(string t, ClaimsPrincipal caller, ContextScopes scopes,
        TeamService team, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(new MemberList((await team.MembersAsync(tenant!.Id, ct)).Select(ToResponse).ToList()));
    }

    private static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> UpdateMember(string t, Guid userId, UpdateMemberRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, TeamService team, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        TenantRole? role = null;
        if (body.Role is not null)
        {
            if (!Enum.TryParse<TenantRole>(body.Role, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                return ApiProblems.Of(StatusCodes.Status400BadRequest, "member.role");
            role = parsed;
        }
        var updated = await team.UpdateMemberAsync(ActorFor(tenant!.Id, caller), userId, new MemberChange(role, body.ChannelIds, body.Capacity), ct);
        return TypedResults.Ok(ToResponse(updated));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(string t, Guid userId, ClaimsPrincipal caller,
        ContextScopes scopes, TeamService team, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await team.RemoveMemberAsync(ActorFor(tenant!.Id, caller), userId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<InvitationList>, ProblemHttpResult>> Invitations(string t, ClaimsPrincipal caller, ContextScopes scopes,
        TeamService team, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var items = await team.InvitationsAsync(tenant!.Id, ct);
        return TypedResults.Ok(new InvitationList(items.Select(i => new InvitationResponse(i.Id, i.Email, i.Role.ToString(), i.State.ToString(),
            i.CreatedAt, i.ExpiresAt, i.InvitedBy)).ToList()));
    }

    private static async Task<Results<Created<CreatedInvitation>, ProblemHttpResult>> Invite(string t, InviteRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, TeamService team, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!Enum.TryParse<TenantRole>(body.Role, ignoreCase: true, out var role) || !Enum.IsDefined(role))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "member.role");
        var id = await team.InviteAsync(ActorFor(tenant!.Id, caller), body.Email, role, ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/invitations/{id}", new CreatedInvitation(id));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        TeamService team, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await team.RevokeAsync(ActorFor(tenant!.Id, caller), id, ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "invitation.not_found");
    }

    private static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> Audit(string t, DateTimeOffset? from, DateTimeOffset? to, string? q,
        string? actor, int? skip, int? take, ClaimsPrincipal caller, ContextScopes scopes, AuditLog audit, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var (items, total) = await audit.PageAsync(tenant!.Id, new AuditFilter(from, to, actor, q), skip ?? 0, take ?? 50, ct);
        return TypedResults.Ok(new AuditPage(items.Select(r => new AuditItem(r.At, r.Actor, r.Action, r.Target, r.Before, r.After)).ToList(), total));
    }
}

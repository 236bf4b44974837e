using Microsoft.AspNetCore.Antiforgery;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Api;

public sealed record EmbeddedSignupRequest(string? Code, string? PhoneNumberId, string? WabaId);
public sealed record EmbeddedSignupAnswer(Guid? ChannelId, string? DisplayName, string? Problem);

/// <summary>
/// The Channels page posts what Meta's Embedded Signup gave the browser (code, phone number id, WABA id) here; the code
/// is exchanged with the app secret on the server. Cookie session of an owner or admin, the page's antiforgery token,
/// and the workspace the page was opened for: a page left open on another workspace cannot connect a number to the
/// one the user switched to since.
/// </summary>
public static class EmbeddedSignupEndpoint
{
    public const string Path = "/channels/embedded-signup";

    public static WebApplication MapEmbeddedSignup(this WebApplication app)
    {
        app.MapPost(Path + "/{tenantId:guid}", CompleteAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> CompleteAsync(Guid tenantId, HttpContext http, IAntiforgery antiforgery, EmbeddedSignup signup,
        CancellationToken ct)
    {
        // Answer with the status itself: the pages' status re-execution would turn this POST into a form post to a page.
        if (http.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true || user.GetTenantId() is not { } sessionTenant) return Results.Unauthorized();
        if (user.GetTenantRole() is not (TenantRole.Owner or TenantRole.Admin) || sessionTenant != tenantId)
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return Results.BadRequest(new EmbeddedSignupAnswer(null, null, "Forged"));
        }
        var body = await http.Request.ReadFromJsonAsync<EmbeddedSignupRequest>(ct);
        try
        {
            var channel = await signup.CompleteAsync(tenantId, new EmbeddedSignupResult(body?.Code ?? "", body?.PhoneNumberId ?? "", body?.WabaId ?? ""),
                user.Identity.Name ?? "console", ct);
            return Results.Ok(new EmbeddedSignupAnswer(channel.Id, channel.DisplayName, null));
        }
        catch (ChannelOwnershipException refused)
        {
            return Results.Json(new EmbeddedSignupAnswer(null, null, refused.Problem.ToString()),
                statusCode: refused.ProviderUnreachable ? StatusCodes.Status502BadGateway : StatusCodes.Status400BadRequest);
        }
        catch (DomainException refused)
        {
            return Results.Json(new EmbeddedSignupAnswer(null, null, refused.Code), statusCode: StatusCodes.Status400BadRequest);
        }
        catch (ConflictException)
        {
            return Results.Json(new EmbeddedSignupAnswer(null, null, "Taken"), statusCode: StatusCodes.Status409Conflict);
        }
    }
}

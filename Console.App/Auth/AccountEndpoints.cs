using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using OperatorConsole.App.Hosting;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Auth;

/// <summary>Cookie-changing actions that interactive components reach with a full navigation or a form post.</summary>
public static class AccountEndpoints
{
    public static WebApplication MapAccountEndpoints(this WebApplication app)
    {
        app.MapPost("/Account/Logout", async (SignInManager<ApplicationUser> signIn, [FromForm] string? returnUrl) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("~/Account/Login");
        }).ExcludeFromDescription();

        app.MapGet("/Account/SwitchTenant/{tenantId:guid}", async (Guid tenantId, string? returnUrl, HttpContext http,
            UserManager<ApplicationUser> users, SignInManager<ApplicationUser> signIn, ContextScopes scopes) =>
        {
            var user = await users.GetUserAsync(http.User);
            if (user is null) return Results.Challenge();
            var memberships = await ConsoleClaimsPrincipalFactory.MembershipsAsync(scopes, user.Id, http.RequestAborted);
            if (memberships.All(m => m.TenantId != tenantId)) return Results.Forbid();
            user.LastTenantId = tenantId;
            await users.UpdateAsync(user);
            await signIn.RefreshSignInAsync(user);
            return Results.LocalRedirect(SafeReturn(returnUrl, "~/inbox"));
        }).RequireAuthorization().ExcludeFromDescription();

        app.MapGet("/Culture/Set", async (string culture, string? returnUrl, HttpContext http, UserManager<ApplicationUser> users, TimeProvider clock) =>
        {
            if (!Pipeline.Cultures.Contains(culture)) culture = Pipeline.Cultures[0];
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { Expires = clock.GetUtcNow().AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax });
            if (http.User.Identity?.IsAuthenticated == true && await users.GetUserAsync(http.User) is { } user && user.Culture != culture)
            {
                user.Culture = culture;
                await users.UpdateAsync(user);
            }
            return Results.LocalRedirect(SafeReturn(returnUrl, "~/"));
        }).ExcludeFromDescription();
        return app;
    }

    public static string SafeReturn(string? returnUrl, string fallback) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? "~" + returnUrl
            : fallback;
}

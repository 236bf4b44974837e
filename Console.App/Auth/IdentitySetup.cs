using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Identity;

namespace OperatorConsole.App.Auth;

public static class IdentitySetup
{
    public static IServiceCollection AddConsoleIdentity(this IServiceCollection services)
    {
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingIdentityStateProvider>();
        services.AddScoped<CircuitHandler, TenantCircuitHandler>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = IdentityConstants.ApplicationScheme;
                o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        services.AddIdentityCore<ApplicationUser>(o =>
            {
                o.SignIn.RequireConfirmedAccount = false;
                // Self-service owners open their workspace only after following the mailed link; every other account
                // (provisioned, seeded, invited) is created confirmed.
                o.SignIn.RequireConfirmedEmail = true;
                o.User.RequireUniqueEmail = true;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Password.RequiredLength = 8;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<ConsoleClaimsPrincipalFactory>();

        services.AddSingleton<SignupProofOfWork>();
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(5));
        // Reset and confirmation links open an account: one hour is enough to use one and short enough to limit a leak.
        services.Configure<DataProtectionTokenProviderOptions>(o => o.TokenLifespan = TimeSpan.FromHours(1));
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = ".Console.Auth";
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(7);
            // The hub is for programs: an unauthenticated connection is refused with 401, not sent to a login page.
            var redirectToLogin = o.Events.OnRedirectToLogin;
            o.Events.OnRedirectToLogin = ctx =>
            {
                if (!ctx.Request.Path.StartsWithSegments("/hubs")) return redirectToLogin(ctx);
                ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
            // A signed-in user without the right gets 403 with the access-denied page re-executed in place,
            // not a redirect: a direct URL to Billing or Admin answers 403.
            o.Events.OnRedirectToAccessDenied = ctx =>
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });

        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, CurrentMembershipHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, ActiveWorkspaceHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Member, p => p.RequireAuthenticatedUser().RequireClaim(ConsoleClaims.TenantId)
                .AddRequirements(new CurrentMembershipRequirement(managers: false)))
            .AddPolicy(Policies.Manager, p => p.RequireAuthenticatedUser()
                .RequireClaim(ConsoleClaims.TenantRole, nameof(TenantRole.Owner), nameof(TenantRole.Admin))
                .AddRequirements(new CurrentMembershipRequirement(managers: true)))
            .AddPolicy(Policies.SuperAdmin, p => p.RequireAuthenticatedUser().RequireRole(Roles.SuperAdmin))
            .AddPolicy(Policies.Simulator, p => p.RequireAuthenticatedUser().RequireAssertion(c =>
                c.User.IsInRole(Roles.SuperAdmin) || c.User.GetTenantRole() is TenantRole.Owner or TenantRole.Admin))
            .AddPolicy(Policies.Api, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireClaim(ConsoleClaims.ApiScope).AddRequirements(new Api.ApiScopeRequirement()));
        return services;
    }
}

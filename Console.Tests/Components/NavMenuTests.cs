using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using OperatorConsole.App.Auth;
using OperatorConsole.App.Components.Layout;

namespace OperatorConsole.Tests.Components;

public class NavMenuTests
{
    private static Task<IRenderedComponent<NavMenu>> RenderAsAsync(BunitContext ctx, params string[] policies) =>
        RenderAsAsync(ctx, inWorkspace: true, policies);

    private static async Task<IRenderedComponent<NavMenu>> RenderAsAsync(BunitContext ctx, bool inWorkspace, params string[] policies)
    {
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        ctx.Services.AddLocalization();
        var auth = ctx.AddAuthorization();
        auth.SetAuthorized("someone@demo.local");
        auth.SetPolicies(policies);
        if (inWorkspace) auth.SetClaims(new System.Security.Claims.Claim(ConsoleClaims.TenantId, Guid.NewGuid().ToString()));
        await Task.CompletedTask;
        return ctx.Render<NavMenu>();
    }

    [Fact]
    public async Task An_agent_sees_the_inbox_but_not_billing_or_admin()
    {
        await using var ctx = new BunitContext();
        var menu = await RenderAsAsync(ctx, Policies.Member);
        var links = menu.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["inbox", "leads", "appointments", "payments"], links);
    }

    [Fact]
    public async Task A_super_admin_who_owns_a_business_sees_everything()
    {
        await using var ctx = new BunitContext();
        var menu = await RenderAsAsync(ctx, Policies.Member, Policies.Manager, Policies.Simulator, Policies.SuperAdmin);
        var links = menu.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["./", "inbox", "leads", "appointments", "payments", "agent", "channels", "team", "leads/import", "settings/pipeline", "settings/lead-fields", "settings/availability", "settings/reminders", "settings/follow-ups", "settings/webhooks", "settings/api-keys", "billing", "simulator", "admin", "admin/billing"], links);
    }

    [Fact]
    public async Task A_super_admin_without_a_workspace_sees_only_the_command_center()
    {
        await using var ctx = new BunitContext();
        // The Simulator policy lets super admins in, but without a workspace there is no channel to chat with.
        var menu = await RenderAsAsync(ctx, inWorkspace: false, Policies.Simulator, Policies.SuperAdmin);
        var links = menu.FindAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["admin", "admin/billing"], links);
    }
}

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

public class PresenceBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<MemberPresence> AgentPresenceAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(DemoSeeder.AgentEmail);
        await using var work = app.Scopes.ForUser(user!.Id);
        return (await work.Db.TenantMembers.AsNoTracking().SingleAsync(m => m.UserId == user.Id)).Presence;
    }

    [Fact]
    public async Task Agent_is_online_while_the_console_is_open_can_step_away_and_is_offline_after_closing_it()
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.ServerAddress.ToString(), Locale = "es-MX" });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.AgentEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        await Eventually.GetAsync(AgentPresenceAsync, p => p == MemberPresence.Online, "the agent to be online with the console open");
        await page.GetByRole(AriaRole.Button, new() { Name = "Tu disponibilidad: En línea" }).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText("Ausente").ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Tu disponibilidad: Ausente" })).ToBeVisibleAsync();
        await Eventually.GetAsync(AgentPresenceAsync, p => p == MemberPresence.Away, "the agent to be away");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("presence-away.png") });

        await context.CloseAsync();
        await Eventually.GetAsync(AgentPresenceAsync, p => p == MemberPresence.Offline, "the agent to be offline once the console is closed");
    }
}

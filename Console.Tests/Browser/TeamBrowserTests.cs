using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Team;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// The team page walked as an owner: invite an agent from the invite dialog, the last owner refused in the member
/// dialog, the audit log with a role change, and the invited agent accepting the mailed link into the inbox.
/// </summary>
public partial class TeamBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Owner!Team1";

    private async Task<IPage> PageAsync(string locale, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    private async Task<string> MailedLinkAsync(string email)
    {
        await using var work = app.Scopes.ForSystem("test: read outbox");
        var body = (await work.Db.OutboundEmails.AsNoTracking().Where(e => e.To == email).OrderByDescending(e => e.CreatedAt).FirstAsync()).HtmlBody;
        return new Uri(WebUtility.HtmlDecode(Link().Match(body).Groups[1].Value)).PathAndQuery;
    }

    [GeneratedRegex("href=\"([^\"]*Account/Invitation[^\"]*)\"")]
    private static partial Regex Link();

    [Fact]
    public Task Owner_invites_an_agent_who_accepts_the_link_and_lands_in_the_inbox_in_spanish_on_a_laptop() => InviteAndAcceptAsync("es-MX", "es", 1366, 800);

    /// <summary>The other languages and the phone: screenshots for docs, in `./console.sh proof`.</summary>
    [Trait("Category", "Screenshots")]
    [Theory]
    [InlineData("en-US", "en", 1366, 800)]
    [InlineData("es-MX", "es", 390, 844)]
    public Task Owner_invites_an_agent_who_accepts_the_link_and_lands_in_the_inbox(string locale, string language, int width, int height) => InviteAndAcceptAsync(locale, language, width, height);

    private async Task InviteAndAcceptAsync(string locale, string language, int width, int height)
    {
        var es = language == "es";
        var device = width < 600 ? "phone" : "desktop";
        var tenant = await app.TenantAsync("Clínica Sonrisa " + Guid.NewGuid().ToString("N")[..4], Password);
        var colleague = await app.MemberAsync(tenant.Id);
        var owner = await PageAsync(locale, width, height);
        await owner.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/team")}");
        await owner.GetByLabel(es ? "Correo electrónico" : "E-mail").FillAsync($"{tenant.Slug}@owner.test");
        await owner.GetByLabel(es ? "Contraseña" : "Password").FillAsync(Password);
        await owner.GetByRole(AriaRole.Button, new() { Name = es ? "Entrar" : "Sign in" }).ClickAsync();
        await owner.WaitForURLAsync("**/team");
        await owner.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var members = owner.GetByTestId("members");
        await Assertions.Expect(members).ToContainTextAsync(es ? "Todos los canales" : "All channels");
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"team-members-{device}-{language}.png") });

        // The last owner: removing yourself is refused with the reason, nothing changes.
        await members.GetByRole(AriaRole.Row).Filter(new() { HasText = $"{tenant.Slug}@owner.test" })
            .GetByRole(AriaRole.Button, new() { Name = es ? "Quitar a" : "Remove" }).ClickAsync();
        await owner.GetByTestId("remove-confirm").ClickAsync();
        await Assertions.Expect(owner.GetByTestId("remove-error"))
            .ToContainTextAsync(es ? "El negocio necesita al menos un propietario" : "The business needs at least one owner");
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"team-last-owner-{device}-{language}.png") });
        await owner.GetByRole(AriaRole.Button, new() { Name = es ? "Cancelar" : "Cancel", Exact = true }).ClickAsync();
        await Assertions.Expect(owner.GetByTestId("remove-confirm")).ToHaveCountAsync(0);
        await Assertions.Expect(members).ToContainTextAsync(es ? "Propietario" : "Owner");

        var email = $"{TestData.Unique("agente")}@invitee.test";
        await owner.GetByTestId("invite-open").ClickAsync();
        await owner.Locator("[data-testid=invite-email] input, input[data-testid=invite-email]").First.FillAsync(email);
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"team-invite-{device}-{language}.png") });
        await owner.GetByTestId("invite-send").ClickAsync();
        await Assertions.Expect(owner.GetByTestId("invitations")).ToContainTextAsync(email);

        // A role change for the audit log, made by the owner through the service the page uses.
        var ownerId = await app.ReadMemberAsync(tenant.Id, m => m.Role == TenantRole.Owner);
        await app.Services.GetRequiredService<TeamService>().UpdateMemberAsync(new TeamActor(tenant.Id, ownerId.UserId, tenant.Slug, TenantRole.Owner),
            colleague.UserId, new MemberChange(TenantRole.Admin, null, 5));
        await owner.GotoAsync("/team?tab=audit");
        await owner.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var audit = owner.GetByTestId("audit");
        await Assertions.Expect(audit).ToContainTextAsync("member.updated");
        // The role change reads as its fields' before → after (the invitation above lists only what it created).
        await Assertions.Expect(audit.GetByTestId("audit-change").Filter(new() { HasText = "role: Agent → Admin" })).ToBeVisibleAsync();
        await Assertions.Expect(audit.GetByTestId("audit-change").Filter(new() { HasText = "capacity: 10 → 5" })).ToBeVisibleAsync();
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"team-audit-{device}-{language}.png") });
        var download = await owner.RunAndWaitForDownloadAsync(() => owner.GetByTestId("audit-export").ClickAsync());
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("member.updated", csv);

        // The invitee, in their own browser, opens the mailed link.
        var invitee = await PageAsync(locale, width, height);
        await invitee.GotoAsync(await MailedLinkAsync(email));
        await Assertions.Expect(invitee.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(es ? "Únete a Clínica Sonrisa" : "Join Clínica Sonrisa");
        await invitee.GetByLabel(es ? "Tu nombre" : "Your name").FillAsync("Rita Agente");
        await invitee.GetByLabel(es ? "Contraseña" : "Password", new() { Exact = true }).FillAsync("Agente!2345");
        await invitee.GetByLabel(es ? "Repite la contraseña" : "Repeat the password").FillAsync("Agente!2345");
        await invitee.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"invitation-accept-{device}-{language}.png") });
        await invitee.GetByRole(AriaRole.Button, new() { Name = es ? "Crear cuenta y unirme" : "Create account and join" }).ClickAsync();
        await invitee.WaitForURLAsync("**/inbox");
        await invitee.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(invitee.Locator("body")).ToContainTextAsync("Clínica Sonrisa");

        // The same link again: already used.
        var again = await PageAsync(locale, width, height);
        await again.GotoAsync(await MailedLinkAsync(email));
        await Assertions.Expect(again.GetByTestId("invitation-state")).ToHaveTextAsync(es ? "Esta invitación ya se usó" : "This invitation was already used");
        await again.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"invitation-used-{device}-{language}.png") });
    }
}

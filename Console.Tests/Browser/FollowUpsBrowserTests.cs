using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.FollowUps;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The owner's follow-up settings and the opt-out notice operators clear, in Spanish and English, desktop and phone.</summary>
public class FollowUpsBrowserTests(BrowserAppFactory app, BrowserFixture browser) : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Owner!Follow1";

    private async Task<IPage> SignedInAsync(string email, string path, string locale, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(path)}");
        var spanish = locale.StartsWith("es");
        await page.GetByLabel(spanish ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(spanish ? "Contraseña" : "Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = spanish ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + path);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    [Fact]
    public Task Owner_turns_follow_ups_on_and_adds_an_opt_out_word_in_spanish_on_a_laptop() => TurnOnFollowUpsAsync("es-MX", "es", 1366, 800);

    /// <summary>The other languages and the phone: screenshots for docs, in `./console.sh proof`.</summary>
    [Trait("Category", "Screenshots")]
    [Theory]
    [InlineData("en-US", "en", 1366, 800)]
    [InlineData("es-MX", "es", 390, 844)]
    [InlineData("en-US", "en", 390, 844)]
    public Task Owner_turns_follow_ups_on_and_adds_an_opt_out_word(string locale, string language, int width, int height) => TurnOnFollowUpsAsync(locale, language, width, height);

    private async Task TurnOnFollowUpsAsync(string locale, string language, int width, int height)
    {
        var tenant = await app.TenantAsync(password: Password);
        var page = await SignedInAsync($"{tenant.Slug}@owner.test", "/settings/follow-ups", locale, width, height);
        var es = language == "es";
        await Assertions.Expect(page.GetByTestId("opt-out-words")).ToContainTextAsync("no me escribas");
        await Assertions.Expect(page.GetByTestId("follow-up-gap")).ToHaveCountAsync(3);

        await page.GetByText(es ? "Hacer seguimiento a clientes que dejan de responder" : "Follow up customers who go quiet").ClickAsync();
        await page.Locator("[data-testid=opt-out-new] input, input[data-testid=opt-out-new]").First.FillAsync("ya no más");
        await page.GetByRole(AriaRole.Button, new() { Name = es ? "Agregar" : "Add", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("opt-out-words")).ToContainTextAsync("ya no más");
        await page.GetByTestId("follow-up-save").ClickAsync();
        await Assertions.Expect(page.GetByText(es ? "Seguimientos guardados" : "Follow-ups saved")).ToBeVisibleAsync();

        var saved = await app.Services.GetRequiredService<FollowUpSettings>().GetAsync(tenant.Id);
        Assert.True(saved.Enabled);
        Assert.Equal([60, 1380, 4320], saved.AfterMinutes);
        Assert.Contains("ya no más", saved.OptOutWords);
        var device = width < 600 ? "phone" : "desktop";
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"follow-ups-{device}-{language}.png"), });
    }

    [Fact]
    public Task An_operator_sees_that_a_lead_opted_out_and_allows_messages_again_in_spanish_on_a_phone() => OptOutAndAllowAgainAsync("es-MX", "es", 390, 844);

    /// <summary>The other languages and the phone: screenshots for docs, in `./console.sh proof`.</summary>
    [Trait("Category", "Screenshots")]
    [Theory]
    [InlineData("en-US", "en", 1366, 800)]
    public Task An_operator_sees_that_a_lead_opted_out_and_allows_messages_again(string locale, string language, int width, int height) => OptOutAndAllowAgainAsync(locale, language, width, height);

    private async Task OptOutAndAllowAgainAsync(string locale, string language, int width, int height)
    {
        var tenant = await app.TenantAsync(password: Password);
        Guid contactId;
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            var contact = Contact.Create(tenant.Id, "Marta Ríos", "+5215512345678", DateTimeOffset.UtcNow);
            contact.OptOut(DateTimeOffset.UtcNow);
            work.Db.Contacts.Add(contact);
            await work.Db.SaveChangesAsync();
            contactId = contact.Id;
        }
        var page = await SignedInAsync($"{tenant.Slug}@owner.test", $"/leads/{contactId}", locale, width, height);
        var es = language == "es";
        var notice = page.GetByTestId("opt-out-notice");
        await Assertions.Expect(notice).ToContainTextAsync(es ? "Pidió no recibir mensajes automáticos" : "Opted out of automated messages");
        var device = width < 600 ? "phone" : "desktop";
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"lead-opted-out-{device}-{language}.png") });

        await page.GetByTestId("opt-out-clear").ClickAsync();
        await Assertions.Expect(notice).ToHaveCountAsync(0);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
            Assert.Null((await work.Db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId)).OptedOutAt);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Inbox;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The demo workspace on a real socket with the AI agent off, so what a test sees is what people did.</summary>
public sealed class QuietDemoApp : IAsyncLifetime
{
    public BrowserNodeAppFactory App { get; } = new(new Dictionary<string, string?> { ["Agent:Workers"] = "0" });

    public Task InitializeAsync() => App.InitializeAsync();

    public Task DisposeAsync() => App.DisposeAsync();
}

/// <summary>
/// The console on a 390×844 phone: nothing in the top bar, the list or the open conversation is cut or wrapped, the
/// conversation header leaves the screen to the messages, and the contact's details open from the conversation.
/// </summary>
public class PhoneLayoutBrowserTests(QuietDemoApp demo, BrowserFixture browser) : IClassFixture<QuietDemoApp>, IClassFixture<BrowserFixture>
{
    private const int PhoneWidth = 390;
    private const int PhoneHeight = 844;

    private BrowserNodeAppFactory App => demo.App;

    // Every visible element holding text, inside the given areas, whose text is cut (its content is wider than its box)
    // or broken over lines where a single line is meant (buttons, chips, names, labels). Message previews in the list are
    // shortened on purpose (as every messenger does), and the timeline's bubbles wrap like any paragraph.
    private const string FindCutText = """
        ([selectors, skip]) => {
          const problems = [];
          const visible = el => {
            const s = getComputedStyle(el);
            const r = el.getBoundingClientRect();
            return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0;
          };
          for (const selector of selectors) {
            for (const root of document.querySelectorAll(selector)) {
              if (!visible(root)) continue;
              for (const el of [root, ...root.querySelectorAll('*')]) {
                if (!visible(el) || el.closest(skip)) continue;
                const text = (el.innerText || '').trim();
                if (!text) continue;
                const describe = why => `${why}: <${el.tagName.toLowerCase()} class="${el.className && el.className.baseVal === undefined ? el.className : ''}"> "${text.slice(0, 60)}" (${el.scrollWidth} > ${el.clientWidth})`;
                // Content wider than a box that hides what does not fit (an overflowing badge corner clips nothing).
                const overflow = getComputedStyle(el).overflowX;
                if ((overflow === 'hidden' || overflow === 'clip') && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) problems.push(describe('cut'));
                for (const node of el.childNodes) {
                  if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
                  const range = document.createRange();
                  range.selectNodeContents(node);
                  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                  if (tops.size > 1) problems.push(describe('wrapped'));
                }
              }
            }
          }
          return [...new Set(problems)];
        }
        """;

    // Shortened on purpose: message previews (every messenger does).
    private const string NotChecked = ".inbox-row-preview, textarea, input, svg";

    private async Task<IPage> SignInAsync(string email, string password, string returnUrl, string locale, int width = PhoneWidth, int height = PhoneHeight)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        var spanish = locale.StartsWith("es", StringComparison.Ordinal);
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(spanish ? "Correo electrónico" : "E-mail").FillAsync(email);
        await page.GetByLabel(spanish ? "Contraseña" : "Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = spanish ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<Guid> DemoTenantIdAsync()
    {
        await using var work = App.Scopes.ForSystem("test");
        return await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
    }

    // Carlos waits for a person: the fullest header the demo has (owner badge, priority, reason, countdown, take over).
    private async Task<Guid> CarlosAsync()
    {
        await using var work = App.Scopes.ForTenant(await DemoTenantIdAsync());
        return await (from c in work.Db.Conversations join k in work.Db.Contacts on c.ContactId equals k.Id
                      where k.Name == "Carlos Ramírez" select c.Id).FirstAsync();
    }

    private static async Task AssertNothingCutAsync(IPage page, params string[] areas)
    {
        var problems = await page.EvaluateAsync<string[]>(FindCutText, new object[] { areas, NotChecked });
        Assert.True(problems.Length == 0, "Cut or wrapped text:\n" + string.Join("\n", problems));
    }

    [Fact]
    public async Task On_a_phone_in_Spanish_no_text_of_the_top_bar_the_list_or_the_conversation_is_cut()
    {
        // The demo owner works two businesses: the top bar shows the business switcher, the widest it gets.
        var page = await SignInAsync(DemoSeeder.OwnerEmail, DemoSeeder.Password, "/inbox", "es-MX");
        await Assertions.Expect(page.GetByTestId("conversation-row").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Tu disponibilidad: En línea" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".mud-appbar").GetByText("Clínica Dental Sonrisa")).ToBeVisibleAsync();
        await AssertNothingCutAsync(page, ".mud-appbar", ".inbox-list-pane");

        await page.GetByTestId("conversation-row").Filter(new() { HasText = "Carlos Ramírez" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("conversation-header")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enviar", Exact = true })).ToBeVisibleAsync();
        await AssertNothingCutAsync(page, ".mud-appbar", "[data-testid=conversation-header]", "[data-testid=composer]");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_the_conversation_header_takes_at_most_15_percent_of_the_screen_and_keeps_its_actions_in_a_menu()
    {
        var carlos = await CarlosAsync();
        var page = await SignInAsync(DemoSeeder.OwnerEmail, DemoSeeder.Password, $"/inbox/{carlos}", "es-MX");
        var header = page.GetByTestId("conversation-header");
        await Assertions.Expect(header.GetByRole(AriaRole.Button, new() { Name = "Tomar control" })).ToBeVisibleAsync();

        var box = await header.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box.Height <= PhoneHeight * 0.15, $"the header is {box.Height:0} px high, {box.Height / PhoneHeight:P0} of the screen");

        // Resolve, assign and snooze are one tap away in the menu, not buttons that push the messages down.
        await Assertions.Expect(header.GetByRole(AriaRole.Button, new() { Name = "Resolver" })).ToHaveCountAsync(0);
        await header.GetByRole(AriaRole.Button, new() { Name = "Más acciones" }).ClickAsync();
        var menu = page.Locator(".mud-popover-open");
        await Assertions.Expect(menu.GetByText("Resolver")).ToBeVisibleAsync();
        await Assertions.Expect(menu.GetByText("Andrés Agente")).ToBeVisibleAsync();
        await Assertions.Expect(menu.GetByText("Hasta mañana a las 9:00")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("inbox-actions-phone-es.png") });
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("es-MX", "es")]
    [InlineData("en-US", "en")]
    public async Task On_a_phone_the_contact_details_open_from_the_conversation_and_close_with_Esc_and_back(string locale, string language)
    {
        var carlos = await CarlosAsync();
        var tenantId = await DemoTenantIdAsync();
        var spanish = language == "es";
        // A member of its own with the language saved, so no other test's user changes language.
        var owner = await App.MemberAsync(tenantId, spanish ? "Olga Dueñas" : "Owen Owner", TenantRole.Owner, "Phone!2345", language);
        var page = await SignInAsync(await App.EmailOfAsync(tenantId, owner.MemberId!.Value), "Phone!2345", $"/inbox/{carlos}", locale);
        var open = page.GetByRole(AriaRole.Button, new() { Name = spanish ? "Datos del contacto" : "Contact details" });
        var dialog = page.GetByRole(AriaRole.Dialog);

        await open.ClickAsync();
        await Assertions.Expect(dialog.GetByText(spanish ? "Resumen" : "Summary", new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(dialog.GetByText(spanish ? "Citas" : "Appointments", new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("panel=contact"));
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"inbox-contact-phone-{language}.png") });

        // Esc goes to the dialog once it has taken the focus (its key handling is wired in the same step), as a person's would.
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('[role=dialog]') != null");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/inbox/{carlos}$"));

        // The phone's back button closes it too, and leaves the conversation open.
        await open.ClickAsync();
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await page.GoBackAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("conversation-header")).ToBeVisibleAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/inbox/{carlos}$"));

        await page.Context.CloseAsync();
    }
}

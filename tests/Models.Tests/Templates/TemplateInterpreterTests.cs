using LlmQueue.Models.Templates;

namespace LlmQueue.Models.Tests.Templates;

/// <summary>The interpreter on small hand-written templates; expectations are what Jinja2 (Python) prints.</summary>
public class TemplateInterpreterTests
{
    private static string Render(string template, params (string Role, string Content)[] messages) =>
        ChatTemplate.FromString(template, "test.jinja", new Dictionary<string, string> { ["bos_token"] = "<s>" })
            .Render(messages, addGenerationPrompt: true);

    [Theory]
    [InlineData("{{ 1 + 2 * 3 }}", "7")]
    [InlineData("{{ 7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 3 }}|{{ 7 / 2 }}", "3|2|8|3.5")]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ 'x' if false else 'y' }}{{ 'z' if true }}", "yz")]
    [InlineData("{{ not 1 == 2 and 3 in [1, 3] }}", "True")]
    [InlineData("{{ 'ell' in 'hello' }}{{ 'q' not in 'hello' }}", "TrueTrue")]
    [InlineData("{{ [1, 2, 3, 4][::-1] }}|{{ 'abcdef'[1:4] }}|{{ [1, 2, 3][-1] }}|{{ 'abcdef'[::2] }}", "[4, 3, 2, 1]|bcd|3|ace")]
    [InlineData("{{ '  pad  ' | trim }}|{{ 'AbC' | lower }}|{{ 'ab' | upper }}|{{ [1, 2] | length }}", "pad|abc|AB|2")]
    [InlineData("{{ {'k': ['v', 1, true, none]} | tojson }}", "{\"k\": [\"v\", 1, true, null]}")]
    [InlineData("{{ 'xxhixx'.strip('x') }}|{{ '\\n a \\n'.lstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}", "hi|a \n|['a', 'b', '', 'c']|['a', 'b']")]
    [InlineData("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x', 'lo')) }}", "TrueTrue")]
    [InlineData("{{ undefined_name }}|{{ undefined_name is defined }}|{{ none is none }}|{{ 3 is not string }}", "|False|True|True")]
    [InlineData("{{ missing | default('fallback') }}|{{ '' | default('e', true) }}", "fallback|e")]
    [InlineData("{{ bos_token }}{{ add_generation_prompt }}", "<s>True")]
    public void Expressions_follow_jinja2(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void Loops_expose_loop_variables_and_do_not_leak_plain_sets()
    {
        const string template =
            "{% set outer = 'o' %}{% for m in messages %}{% set outer = 'inner' %}" +
            "{{ loop.index0 }}{{ loop.index }}{{ 'F' if loop.first }}{{ 'L' if loop.last }}:{{ m.role }}={{ m['content'] }};" +
            "{% endfor %}{{ outer }}";
        Assert.Equal("01F:user=a;12L:assistant=b;o", Render(template, ("user", "a"), ("assistant", "b")));
    }

    [Fact]
    public void Namespace_attributes_set_in_a_loop_are_visible_after_it()
    {
        const string template = "{% set ns = namespace(n=0, last='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.last = m.content %}{% endfor %}{{ ns.n }}/{{ ns.last }}";
        Assert.Equal("2/b", Render(template, ("user", "a"), ("assistant", "b")));
    }

    [Fact]
    public void If_elif_else_and_for_else_and_loop_filters()
    {
        const string template =
            "{% for m in messages if m.role != 'system' %}{% if m.role == 'user' %}U{% elif m.role == 'assistant' %}A{% else %}?{% endif %}{% endfor %}" +
            "{% for x in [] %}never{% else %}-empty{% endfor %}";
        Assert.Equal("UA?-empty", Render(template, ("system", "s"), ("user", "u"), ("assistant", "a"), ("tool", "t")));
    }

    [Fact]
    public void Whitespace_control_follows_trim_blocks_lstrip_blocks_and_dash_modifiers()
    {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation before it,
        // '-' strips all whitespace on its side, and the template's final newline is not kept.
        const string template = "A\n    {% if true %}\n  B\n    {% endif %}\nC  {{- ' D ' -}}  \n E\n";
        Assert.Equal("A\n  B\nC D E", Render(template));
    }

    [Fact]
    public void Comments_are_removed()
    {
        Assert.Equal("ab", Render("a{# note #}b"));
    }

    [Fact]
    public void Raise_exception_names_the_source_position_and_message()
    {
        var error = Assert.Throws<TemplateException>(() => Render("ok\n  {{ raise_exception('Roles must alternate') }}"));
        Assert.Equal("test.jinja:2:6: raise_exception: Roles must alternate", error.Message);
    }

    [Theory]
    [InlineData("{% if true %}never closed", "test.jinja:1:4: '{% if %}' is not closed")]
    [InlineData("{{ 1 + }}", "test.jinja:1:8: expected an expression")]
    [InlineData("{% for x in y %}{% endif %}", "test.jinja:1:20: unexpected 'endif' inside 'for'")]
    [InlineData("{{ 'open }}", "test.jinja:1:4: string literal is not closed")]
    [InlineData("{% macro m() %}{% endmacro %}", "test.jinja:1:4: unsupported statement 'macro'")]
    [InlineData("{{ x | nosuchfilter }}", "test.jinja:1:6: unknown filter 'nosuchfilter'")]
    [InlineData("{{ 'a' + 1 }}", "test.jinja:1:8: unsupported operand types for '+': str and int")]
    [InlineData("{{ missing.attribute }}", "test.jinja:1:11: cannot read 'attribute' of an undefined value")]
    public void Template_errors_name_the_file_and_position(string template, string expectedStart)
    {
        var error = Assert.Throws<TemplateException>(() => Render(template));
        Assert.StartsWith(expectedStart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenizer_config_without_a_chat_template_is_a_clear_error()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.FromTokenizerConfigJson("{\"bos_token\": \"<s>\"}", "cfg.json"));
        Assert.Equal("cfg.json: no chat_template", error.Message);
    }

    [Fact]
    public void Tokenizer_config_special_tokens_may_be_added_token_objects_and_null_ones_stay_undefined()
    {
        const string config = "{\"chat_template\": \"{{ bos_token }}|{{ eos_token is defined }}\", \"bos_token\": {\"content\": \"<B>\"}, \"eos_token\": null}";
        Assert.Equal("<B>|False", ChatTemplate.FromTokenizerConfigJson(config, "cfg.json").Render([], addGenerationPrompt: false));
    }
}

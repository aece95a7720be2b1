using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// Renders an object graph as text, member by member and item by item, so that two graphs can be
/// compared by value. Records compare their list and dictionary members by reference, so two
/// parses of the same text are never equal as records, only as renderings.
/// </summary>
public static class Structure
{
    /// <summary>The rendering of <paramref name="value"/>: equal for graphs equal in every public property, list item and dictionary entry.</summary>
    public static string Show(object? value)
    {
        var builder = new StringBuilder();
        Append(builder, value);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, object? value)
    {
        switch (value)
        {
            case null:
                builder.Append("null");
                break;
            case string text:
                // Length first, so that no string can pass for the end of its value.
                builder.Append(CultureInfo.InvariantCulture, $"\"{text.Length}:{text}\"");
                break;
            case IFormattable formattable when value.GetType().IsPrimitive || value is Enum or TimeSpan or decimal:
                builder.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            case bool flag:
                builder.Append(flag ? "true" : "false");
                break;
            case IDictionary dictionary:
                builder.Append('{');
                foreach (DictionaryEntry entry in dictionary)
                {
                    Append(builder, entry.Key);
                    builder.Append(": ");
                    Append(builder, entry.Value);
                    builder.Append(", ");
                }

                builder.Append('}');
                break;
            case IEnumerable items:
                builder.Append('[');
                foreach (var item in items)
                {
                    Append(builder, item);
                    builder.Append(", ");
                }

                builder.Append(']');
                break;
            default:
                var type = value.GetType();
                builder.Append(type.Name).Append('(');
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
                {
                    builder.Append(property.Name).Append(": ");
                    Append(builder, property.GetValue(value));
                    builder.Append(", ");
                }

                builder.Append(')');
                break;
        }
    }
}

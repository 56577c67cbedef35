# The HMAC key is the UTF-8 bytes of a secret string, as the factory library takes it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vacmon", "0005_accounting"),
    ]

    operations = [
        migrations.RenameField(model_name="signingkey", old_name="secret_hex", new_name="secret"),
        migrations.AlterField(
            model_name="signingkey",
            name="secret",
            field=models.CharField(
                help_text=(
                    "e.g. the output of: python3 -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'"
                ),
                max_length=256,
            ),
        ),
    ]

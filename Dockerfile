# The production image: gunicorn serves the API (static files through whitenoise), and the same image
# runs the Celery worker and beat (see docker-compose.yml). Runs as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir "uv>=0.5"
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
# Static files are collected at build time; settings need their variables even for that (none is used).
RUN DJANGO_SECRET_KEY=build DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost \
    STATIC_ROOT=/app/static python manage.py collectstatic --noinput -v 0
RUN useradd --create-home --uid 10001 smartmarket && mkdir -p /data/media && chown smartmarket /data/media
USER smartmarket
ENV STATIC_ROOT=/app/static MEDIA_ROOT=/data/media
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py"]

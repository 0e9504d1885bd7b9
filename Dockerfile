# One image for every Almanac process: api, worker, beat, flower and migrate.
FROM python:3.11-slim

RUN pip install --no-cache-dir uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

WORKDIR /app
COPY . .
RUN uv sync --locked --no-dev --all-packages \
    && useradd --system --home-dir /app almanac \
    && mkdir -p /app/var && chown almanac /app/var

USER almanac
EXPOSE 8000 5555
CMD ["uvicorn", "almanac.api.main:app", "--host", "0.0.0.0", "--port", "8000"]

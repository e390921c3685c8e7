"""Lists, creates and detaches the year partitions of the largest tables (ce_portal/partitions.py).

    manage.py year_partitions                  each partition with its rows and size
    manage.py year_partitions --create 2028    make a year's partitions now (the nightly task makes the next)
    manage.py year_partitions --detach 2019    take an old year of platform records out of the live database
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ce_portal.clock import business_today
from ce_portal.partitions import (
    DETACHABLE_TABLES, YEAR_PARTITIONED_TABLES, DetachRefused, year_partition_detach, year_partitions,
    year_partitions_ensure,
)


class Command(BaseCommand):
    help = "查看、创建或分离按年度分区的表（平台登记学时、学时申报）的年度分区；只有平台登记学时可以分离。"

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--create", type=int, metavar="年度", help="创建该年度的分区")
        action.add_argument("--detach", type=int, metavar="年度", help="分离该年度的分区，之后可归档并删除")

    def handle(self, *args, create=None, detach=None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("只有 PostgreSQL 上的部署按年度分区；SQLite 演示库没有分区。")
        if create is not None:
            made = year_partitions_ensure([create])
            self.stdout.write("已创建：" + "、".join(made) if made else f"{create} 年度的分区已经存在。")
        elif detach is not None:
            for table in DETACHABLE_TABLES:
                try:
                    name = year_partition_detach(table, detach, today=business_today())
                except DetachRefused as refusal:
                    raise CommandError(str(refusal)) from refusal
                self.stdout.write(
                    f"已分离 {name}：它不再属于 {table}，门户不再读取。归档：pg_dump -t {name} > {name}.dump，"
                    f"核对后 DROP TABLE {name}。"
                )
        for table in YEAR_PARTITIONED_TABLES:
            self.stdout.write(table)
            for partition in year_partitions(table):
                label = f"{partition.year} 年度" if partition.year else "未建分区的年度（DEFAULT）"
                self.stdout.write(f"  {label:<16} {partition.rows:>12,} 行 {partition.bytes / 2**20:>10,.1f} MB  {partition.name}")

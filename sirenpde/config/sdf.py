"""The ``problem: sdf`` file: a signed distance function fitted to an oriented point cloud."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from ..constraints.problem import Problem
from ..domains.pointcloud import PointCloudError, read_point_cloud
from ..problems.sdf import sdf
from ..results.meshing import MeshRequest
from .compile import Compiler
from .nodes import PointCount, PositiveFloat, Section, TermSection, Weight
from .schema import Built, DomainNode, FileBase

__all__ = ["SdfFile"]


class CloudNode(Section):
    file: str
    dataset: str | None = None
    estimate_normals: bool = False


def _cloud_input(value: Any) -> Any:
    return {"file": value} if isinstance(value, str) else value  # `cloud: torus.xyz` is {file: …}


class SurfaceTerms(TermSection):
    points: PointCount = 5000
    weight: Weight = 3e3
    normal_weight: Weight = 1e2
    eikonal_weight: Weight = 5e1


class SpaceTerms(TermSection):
    points: PointCount = 5000
    weight: Weight = 1e2
    alpha: PositiveFloat = 100.0
    eikonal_weight: Weight = 5e1
    margin: Annotated[float, Field(ge=0)] = 0.1
    outside_weight: Weight = 1e2
    outside_points: PointCount = 1000


class MeshSection(Section):
    resolution: Annotated[int, Field(ge=2, le=2048)] = 256
    formats: Annotated[list[Literal["ply", "obj"]], Field(min_length=1)] = ["ply"]
    level: float = 0.0


class SdfFile(FileBase):
    """Φ fitted to ``cloud`` (the paper's loss); ``mesh`` extracts its zero surface after training."""

    problem: Literal["sdf"]
    domain: DomainNode | None = None
    norm: Literal["l2", "l1"] = "l1"
    cloud: Annotated[CloudNode, BeforeValidator(_cloud_input)]
    surface: SurfaceTerms = SurfaceTerms()
    space: SpaceTerms = SpaceTerms()
    mesh: MeshSection | None = None

    def axis_names(self) -> tuple[str, ...]:
        if self.axes is not None and (len(self.axes) != 3 or len(set(self.axes)) != 3):
            raise ValueError(f"axes must be 3 distinct names for a point cloud; found {self.axes}")
        return tuple(self.axes or ("x", "y", "z"))

    def build_run(self, compile_: Compiler) -> Built:
        mesh = self.mesh
        if mesh is not None:  # needed after training: refused now rather than then
            compile_.require(("mesh",), "skimage", "scikit-image")
            compile_.require(("mesh", "formats"), "trimesh", "trimesh")
        request = None if mesh is None else MeshRequest(mesh.resolution, tuple(mesh.formats), mesh.level)
        return Built(self.build(compile_), mesh=request)

    def build(self, compile_: Compiler) -> Problem:
        if self.domain is not None:
            raise compile_.error(("domain",), "an sdf problem is solved in a cube around the cloud; remove"
                                 " `domain` (space.margin sets how much wider than the cloud it is)")
        try:
            cloud = read_point_cloud(compile_.path(self.cloud.file), self.cloud.dataset,
                                     self.cloud.estimate_normals)
        except PointCloudError as err:
            raise compile_.error(("cloud", "file"), str(err)) from None
        s, v = self.surface, self.space
        names = ("surface", "normal", "eikonal:surface", "eikonal", "off_surface", "outside")
        values = (s.weight, s.normal_weight, s.eikonal_weight, v.eikonal_weight, v.weight, v.outside_weight)
        weights = dict(zip(names, values, strict=True))
        points = {"surface": s.points, "eikonal": v.points, "outside": v.outside_points}
        return sdf(cloud, alpha=v.alpha, margin=v.margin, points=points, weights=weights,
                   exact=compile_.exact(self.exact), axes=compile_.axes, norm=self.norm)
